/**
 * A throwaway `redis-server` for the local cloud's Redis endpoint to serve. The embedded
 * engine runs `@upstash/ratelimit`'s Lua scripts in fengari (Lua in JavaScript), at a few
 * milliseconds a script: every rate-limited route would then measure fengari, not the Worker.
 */
import { spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from '../dev/local-cloud/ports';
import { onCleanup, stopChild, track } from './lifecycle';

/** Which engine served Redis, and its URL for `startLocalCloud({ redisUrl })` when external. */
export interface RedisChoice {
  engine: string;
  redisUrl?: string;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * `embedded`: the local cloud's own engine. `server`: a fresh `redis-server` on a free
 * loopback port, without persistence, stopped at cleanup. `auto`: `server` when the binary
 * exists, else `embedded`.
 */
export async function chooseRedis(mode: 'auto' | 'embedded' | 'server'): Promise<RedisChoice> {
  const embedded = { engine: 'embedded (ioredis-mock, Lua in fengari)' };
  if (mode === 'embedded') return embedded;
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    if (mode === 'server') throw new Error('--redis server: redis-server is not installed');
    return embedded;
  }
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = track(spawn('redis-server', args, { stdio: 'ignore' }));
  onCleanup(() => stopChild(child));
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('redis-server did not listen within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const version = /v=(\S+)/.exec(probe.stdout)?.[1] ?? 'unknown version';
  return { engine: `redis-server ${version} (own process)`, redisUrl: `redis://127.0.0.1:${port}` };
}
