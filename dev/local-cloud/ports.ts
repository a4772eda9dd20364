import { execFile } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { basename } from 'node:path';
import { promisify } from 'node:util';

/** The inode of the socket listening on `port` on any address, from Linux's /proc/net tables. */
async function listeningInode(port: number): Promise<string | undefined> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const rows = await readFile(table, 'utf8').catch(() => '');
    for (const row of rows.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const fields = row.trim().split(/\s+/);
      if (fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '0A') return fields[9];
    }
  }
  return undefined;
}

const SCRIPTS = [
  [/\bdev\/dev\.ts\b ?(.*)$/, 'npm run dev'],
  [/\bdev\/local-cloud\/main\.ts\b ?(.*)$/, 'npm run local-cloud'],
] as const;

/**
 * A process's command line: `npm run dev -- --port 8787` for this project's dev scripts,
 * otherwise shortened in the middle (`workerd serve … 127.0.0.1:8787 …`).
 */
async function commandOf(pid: string): Promise<{ command: string; ours: boolean }> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  const [program = '', ...args] = cmdline.split('\0').filter(Boolean);
  const command = [basename(program), ...args].join(' ');
  for (const [pattern, script] of SCRIPTS) {
    const match = pattern.exec(command);
    if (match) return { command: match[1] ? `${script} -- ${match[1]}` : script, ours: true };
  }
  const short = command.length > 120 ? `${command.slice(0, 40)} … ${command.slice(-70)}` : command;
  return { command: short, ours: false };
}

/** `npm run dev` (or `npm run local-cloud`) among the ancestors of `pid`, if one started it. */
async function devAncestor(pid: string): Promise<string | undefined> {
  let current = pid;
  for (let depth = 0; depth < 6; depth++) {
    const stat = await readFile(`/proc/${current}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid …: comm may hold spaces, so read after its closing parenthesis.
    const parent = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
    if (!parent || parent === '0' || parent === '1') return undefined;
    const { command, ours } = await commandOf(parent);
    if (ours) return `${command} (pid ${parent})`;
    current = parent;
  }
  return undefined;
}

/** The process holding socket `inode`, among those whose descriptors this user may read. */
async function processWithSocket(inode: string): Promise<string | undefined> {
  const socket = `socket:[${inode}]`;
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
    for (const fd of fds) {
      if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) !== socket) continue;
      const { command, ours } = await commandOf(pid);
      const holder = `pid ${pid}${command ? ` (${command})` : ''}`;
      const dev = ours ? undefined : await devAncestor(pid);
      return dev ? `${holder}, started by ${dev}` : holder;
    }
  }
  return undefined;
}

/** What `lsof` says listens on `port` (macOS and Linux without /proc), if it is installed. */
async function lsofHolder(port: number): Promise<string | undefined> {
  const { stdout } = await promisify(execFile)('lsof', [
    '-nP',
    `-iTCP:${port}`,
    '-sTCP:LISTEN',
    '-Fpc',
  ]).catch(() => ({ stdout: '' }));
  const pid = /^p(\d+)$/m.exec(stdout)?.[1];
  const command = /^c(.+)$/m.exec(stdout)?.[1];
  return pid ? `pid ${pid}${command ? ` (${command})` : ''}` : undefined;
}

/**
 * Who listens on TCP `port`: `pid 123 (node … dev/dev.ts --port 8787)`, or undefined when that
 * cannot be told (a process of another user, no /proc and no `lsof`). On Linux it reads
 * /proc (the socket's inode, then the process holding it); elsewhere it asks `lsof`.
 */
async function portHolder(port: number): Promise<string | undefined> {
  const inode = await listeningInode(port);
  if (inode) return processWithSocket(inode);
  return lsofHolder(port);
}

/** Whether something already listens on `port` of `host` (trying to listen there). */
function inUse(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, host, () => server.close(() => resolve(false)));
  });
}

/** "port 8791 (postgres) is in use by pid 123 (…)", or "… is in use" when the holder is unknown. */
export async function portInUseMessage(port: number, role: string): Promise<string> {
  const holder = await portHolder(port);
  return `port ${port} (${role}) is in use${holder ? ` by ${holder}` : ''}`;
}

/**
 * The ports among `ports` (by role) that something already holds on loopback, each described
 * with its holder: empty when all are free.
 *
 * @example
 * const taken = await takenPorts({ api: 8787, postgres: 8791 });
 * // ['port 8787 (api) is in use by pid 4242 (node …/wrangler dev --port 8787)']
 */
export async function takenPorts(ports: Record<string, number>): Promise<string[]> {
  const taken: string[] = [];
  for (const [role, port] of Object.entries(ports)) {
    if (await inUse(port, '127.0.0.1')) taken.push(await portInUseMessage(port, role));
  }
  return taken;
}

/** A free loopback port (the tiny race until its user binds it is acceptable for tooling and tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
