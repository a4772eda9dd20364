/**
 * The OpenAPI document the app serves at `/openapi.json`, built in-process (no server, no
 * database: building it reads only the settings), for the tools that read it from a file:
 * `npm run lint:api` and `npm run client:generate`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { createApp } from '../src/app';

const ROOT = join(import.meta.dirname, '..');

/** The settings in `file` (`.dev.vars` syntax), at the root of the project. */
export function readVars(file: '.dev.vars' | '.dev.vars.example'): Record<string, string> {
  return parseEnv(readFileSync(join(ROOT, file), 'utf8')) as Record<string, string>;
}

/** `.dev.vars` when it exists (what `npm run dev` serves), else `.dev.vars.example`. */
export function devVars(): Record<string, string> {
  return readVars(existsSync(join(ROOT, '.dev.vars')) ? '.dev.vars' : '.dev.vars.example');
}

/** The document the app serves with `vars` as its settings. */
export async function openApiDocument(vars: Record<string, string>): Promise<unknown> {
  const prefix = vars.API_V1_PREFIX ?? '/api/v1';
  const env = { ...vars, LOG_LEVEL: 'error' };
  const response = await createApp(prefix).request(`${prefix}/openapi.json`, {}, env);
  if (!response.ok) {
    throw new Error(
      `the app answered ${response.status} for its document: ${await response.text()}`,
    );
  }
  return response.json();
}

/** Writes the document for `vars` to `path` (JSON, indented) and returns the path. */
export async function writeOpenApiDocument(
  path: string,
  vars: Record<string, string>,
): Promise<string> {
  writeFileSync(path, `${JSON.stringify(await openApiDocument(vars), null, 2)}\n`);
  return path;
}
