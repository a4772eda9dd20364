import { constants } from 'node:fs';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseEnv } from 'node:util';

const ROOT = join(import.meta.dirname, '..');

/**
 * Reads `.dev.vars`, first creating it from `.dev.vars.example` when it is missing. An
 * existing file is never overwritten: it holds the developer's own values.
 *
 * @returns the variables, and whether the file was just created.
 */
export async function loadDevVars(): Promise<{ vars: Record<string, string>; created: boolean }> {
  const path = join(ROOT, '.dev.vars');
  let created = false;
  try {
    await copyFile(join(ROOT, '.dev.vars.example'), path, constants.COPYFILE_EXCL);
    created = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const vars = parseEnv(await readFile(path, 'utf8')) as Record<string, string>;
  return { vars, created };
}
