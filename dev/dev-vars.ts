import { constants } from 'node:fs';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { DEFAULT_API_PORT, DEFAULT_PORTS, servicePorts } from './local-cloud/service';

const ROOT = join(import.meta.dirname, '..');

/**
 * The API port of this `npm run dev` (and of `npm run local-cloud` and the `db:*` scripts, to
 * reach the same instance): `--port N` (or `--port=N`) among `args`, else `STRATUS_PORT`, else
 * 8787. The local cloud listens on N+4 to N+8.
 *
 * @returns the port, and `args` without the flag.
 * @example
 * const { port, rest } = devPort(['--port', '8800', '--reset']); // 8800, ['--reset']
 */
export function devPort(
  args: readonly string[] = process.argv.slice(2),
  env: Record<string, string | undefined> = process.env,
): { port: number; rest: string[] } {
  const rest = [...args];
  let value = env.STRATUS_PORT || undefined;
  const at = rest.findIndex((arg) => arg === '--port' || arg.startsWith('--port='));
  if (at >= 0) {
    const [flag] = rest.splice(at, 1);
    value = (flag?.includes('=') ? flag.slice('--port='.length) : rest.splice(at, 1)[0]) ?? '';
  }
  if (value === undefined) return { port: DEFAULT_API_PORT, rest };
  const port = Number(value);
  // The last service listens on N+8.
  if (value === '' || !Number.isInteger(port) || port < 1 || port > 65_535 - 8) {
    throw new Error(`--port / STRATUS_PORT: "${value}" is not a port from 1 to 65527`);
  }
  return { port, rest };
}

/**
 * Where the instance on `port` keeps its state (PGlite's data, `local-cloud.json`, wrangler's
 * local storage): `.data/` for 8787, `.data/port-N/` for any other, so instances run from one
 * checkout never share a database or a file.
 */
export function devDataDir(port: number): string {
  const data = join(ROOT, '.data');
  return port === DEFAULT_API_PORT ? data : join(data, `port-${port}`);
}

/** Each port of the default instance (8787, 8791…8795) and the same role's port on `port`. */
function movedPorts(port: number): Map<string, string> {
  const moved = new Map([[String(DEFAULT_API_PORT), String(port)]]);
  const ports = servicePorts(port);
  for (const [service, defaultPort] of Object.entries(DEFAULT_PORTS)) {
    moved.set(String(defaultPort), String(ports[service as keyof typeof ports]));
  }
  return moved;
}

/**
 * `vars` for the instance on `port`: every loopback URL on a port of the default instance
 * (`http://localhost:8787`, `http://127.0.0.1:8791/sql`…) moved to the same role's port, so
 * the Worker calls its own local cloud and QStash delivers jobs back to it. Other values are
 * kept as they are.
 */
function varsForPort(vars: Record<string, string>, port: number): Record<string, string> {
  const moved = movedPorts(port);
  const loopback = /\b(localhost|127\.0\.0\.1):(\d+)\b/g;
  return Object.fromEntries(
    Object.entries(vars).map(([name, value]) => [
      name,
      value.replace(loopback, (url, host: string, from: string) =>
        moved.has(from) ? `${host}:${moved.get(from)}` : url,
      ),
    ]),
  );
}

/**
 * Reads `.dev.vars`, first creating it from `.dev.vars.example` when it is missing. An
 * existing file is never overwritten: it holds the developer's own values. On another port
 * than 8787 its local-cloud URLs are moved to that instance's ports.
 *
 * @returns the variables as the instance on `port` sees them, those that differ from the
 * file (`moved`: what `npm run dev` passes to wrangler over the file), and whether the file
 * was just created.
 */
export async function loadDevVars(port = DEFAULT_API_PORT): Promise<{
  vars: Record<string, string>;
  moved: Record<string, string>;
  created: boolean;
}> {
  const path = join(ROOT, '.dev.vars');
  let created = false;
  try {
    await copyFile(join(ROOT, '.dev.vars.example'), path, constants.COPYFILE_EXCL);
    created = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const file = parseEnv(await readFile(path, 'utf8')) as Record<string, string>;
  const vars = varsForPort(file, port);
  const moved = Object.fromEntries(
    Object.entries(vars).filter(([name, value]) => file[name] !== value),
  );
  return { vars, moved, created };
}
