import type { OnProgress } from './snapshot';

/** Tables with fewer rows than this get no bar: they are done before one could be seen. */
const LARGE_TABLE = 2000;
const WIDTH = 30;

/**
 * A progress bar on stderr for large tables, redrawn in place on a terminal and left out
 * when stderr is not one (CI logs, pipes).
 */
export function progressBar(verb: string): OnProgress {
  return (table, done, total) => {
    if (!process.stderr.isTTY || total < LARGE_TABLE) return;
    const filled = Math.round((done / total) * WIDTH);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)}`;
    process.stderr.write(`\r${verb} ${table.padEnd(20)} ${bar} ${done}/${total}`);
    if (done === total) process.stderr.write('\n');
  };
}
