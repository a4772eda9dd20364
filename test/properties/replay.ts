import fc from 'fast-check';
import { inject } from 'vitest';

/** The seed properties run with unless `FC_SEED` gives another: CI runs the same cases every time. */
const DEFAULT_SEED = 15;

/**
 * fast-check's parameters for a property of `numRuns` runs, with the shell's `FC_SEED`,
 * `FC_PATH` (replay one counterexample) and `FC_RUNS` taking precedence.
 */
export function propertyParameters<T>(numRuns: number): fc.Parameters<T> {
  const { seed, path, runs } = inject('fastCheck');
  return {
    seed: seed ? Number(seed) : DEFAULT_SEED,
    numRuns: runs ? Number(runs) : numRuns,
    includeErrorInReport: true,
    ...(path && { path }),
  };
}

/**
 * The command that replays the failure of `details` in the test named `test` of `file`; a
 * failing command sequence also needs its `replayPath`, which fast-check prints with it.
 */
function replayCommand(
  details: { seed: number; counterexamplePath: string | null },
  file: string,
  test: string,
  replayPath?: string,
) {
  const commands = replayPath ? ` FC_REPLAY_PATH=${replayPath}` : '';
  return `FC_SEED=${details.seed} FC_PATH=${details.counterexamplePath}${commands} npx vitest run ${file} -t ${JSON.stringify(test)}`;
}

/**
 * Runs `property` and, when it fails, throws fast-check's report (the counterexample, its
 * seed and path) followed by the command that replays it.
 *
 * @example
 * await checkProperty(fc.asyncProperty(request, send), { numRuns: 200, file, test: 'GET /items' });
 */
export async function checkProperty<T>(
  property: fc.IAsyncProperty<T>,
  options: { numRuns: number; file: string; test: string },
): Promise<void> {
  const details = await fc.check(property, propertyParameters<T>(options.numRuns));
  if (details.failed) {
    const report = (await fc.asyncDefaultReportMessage(details)) ?? '';
    const replayPath = /replayPath="([^"]+)"/.exec(report)?.[1];
    const command = replayCommand(details, options.file, options.test, replayPath);
    throw new Error(`${report}\n\nReplay: ${command}`);
  }
}
