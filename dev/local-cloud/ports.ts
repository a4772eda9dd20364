import { execFile } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { createServer } from 'node:net';
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

/** The process holding socket `inode`, among those whose descriptors this user may read. */
async function processWithSocket(inode: string): Promise<string | undefined> {
  const socket = `socket:[${inode}]`;
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
    for (const fd of fds) {
      if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) !== socket) continue;
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      const command = cmdline.split('\0').filter(Boolean).join(' ');
      return `pid ${pid}${command ? ` (${command.slice(0, 160)})` : ''}`;
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
export async function portHolder(port: number): Promise<string | undefined> {
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
