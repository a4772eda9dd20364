/**
 * `npm run lint:api` (CI): lints the OpenAPI document the app serves with Spectral, the rules of
 * `.spectral.yaml` (`spectral:oas` and the OWASP API Security ruleset, both from node_modules:
 * nothing is downloaded). Fails on any error or warning. `-- --document <file>` lints that file
 * instead of the app's document.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readVars, writeOpenApiDocument } from './openapi-document';

const ROOT = join(import.meta.dirname, '..');

/**
 * The settings of the linted document: those of `.dev.vars.example`, served at an `https://`
 * origin as a deployment is (`PUBLIC_BASE_URL` in the environment chooses another).
 */
function deployedVars(): Record<string, string> {
  return {
    ...readVars('.dev.vars.example'),
    PUBLIC_BASE_URL: process.env.PUBLIC_BASE_URL ?? 'https://api.example.com',
  };
}

/**
 * Runs Spectral on `document`. With `inherit` its report goes to this process's output; with
 * `pipe` it is returned. `status` is 0 when nothing at warning level or above was found.
 */
export function lintDocument(
  document: string,
  stdio: 'inherit' | 'pipe' = 'inherit',
): { status: number; output: string } {
  const { status, stdout, stderr } = spawnSync(
    join(ROOT, 'node_modules', '.bin', 'spectral'),
    ['lint', document, '--ruleset', join(ROOT, '.spectral.yaml'), '--fail-severity', 'warn'],
    { cwd: ROOT, stdio, encoding: 'utf8' },
  );
  return { status: status ?? 1, output: `${stdout ?? ''}${stderr ?? ''}` };
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { document: { type: 'string' } } });
  const scratch = mkdtempSync(join(tmpdir(), 'stratus-lint-api-'));
  try {
    const document = values.document
      ? resolve(values.document)
      : await writeOpenApiDocument(join(scratch, 'openapi.json'), deployedVars());
    process.exitCode = lintDocument(document).status;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
