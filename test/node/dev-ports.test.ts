import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { devDataDir, devPort, loadDevVars } from '../../dev/dev-vars';
import { listenOnLoopback } from '../../dev/local-cloud/http';
import type { MailboxMessage } from '../../dev/local-cloud/mailbox/server';
import { takenPorts } from '../../dev/local-cloud/ports';
import { servicePorts } from '../../dev/local-cloud/service';
import { until } from './until';

// `npm run dev -- --port N` (issue 17), run as a developer runs it, from this checkout: with its
// `.dev.vars` (created from the example when missing), each instance keeping its state in
// `.data/port-N/`, removed afterwards.

const ROOT = join(import.meta.dirname, '..', '..');
const started: { child: ChildProcess; port: number; output: string[] }[] = [];

/** A port N whose API and local cloud ports (N, N+4…N+8) are all free, away from `avoid`. */
async function freeBase(avoid: number[] = []): Promise<number> {
  for (;;) {
    const port = 20_000 + 10 * Math.floor(Math.random() * 3_000);
    if (avoid.some((other) => Math.abs(other - port) < 10)) continue;
    if ((await takenPorts({ api: port, ...servicePorts(port) })).length === 0) return port;
  }
}

/** `npm run dev -- --port N`, in a process group of its own (stopped as a whole). */
function npmRunDev(port: number) {
  const child = spawn('npm', ['run', 'dev', '--', '--port', String(port)], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  started.push({ child, port, output });
  return { child, output };
}

/** Whether any process of the group led by `pid` is still running. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops the whole process group (npm, the dev server, the local cloud, wrangler) and waits
 * until every member is gone: npm exits first, while the local cloud may still be writing its
 * database under `.data/port-N/`.
 */
async function stop(child: ChildProcess) {
  const { pid } = child;
  if (pid === undefined || !groupAlive(pid)) return;
  process.kill(-pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (groupAlive(pid) && Date.now() < deadline) await setTimeout(100);
  if (groupAlive(pid)) process.kill(-pid, 'SIGKILL');
}

afterAll(async () => {
  await Promise.all(started.map(({ child }) => stop(child)));
  await Promise.all(
    started.map(({ port }) =>
      rm(devDataDir(port), { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }),
    ),
  );
});

async function health(port: number): Promise<number | undefined> {
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/health`).catch(() => undefined);
  return response?.status === 200 ? response.status : undefined;
}

async function inbox(port: number, to: string): Promise<MailboxMessage[]> {
  const mailbox = `http://127.0.0.1:${servicePorts(port).mailbox}`;
  const response = await fetch(`${mailbox}/messages?to=${encodeURIComponent(to)}`);
  return (await response.json()) as MailboxMessage[];
}

function register(port: number, email: string) {
  return fetch(`http://127.0.0.1:${port}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      email,
      password: 'Str0ngPassword',
      first_name: 'Dev',
      last_name: 'Port',
    }),
  });
}

describe('npm run dev -- --port N (issue 17)', () => {
  it('reads the port from --port, --port=, then STRATUS_PORT, else 8787, and refuses a bad one', () => {
    expect(devPort(['seed', '--port', '9300', '--demo'], {})).toEqual({
      port: 9300,
      rest: ['seed', '--demo'],
    });
    expect(devPort(['--port=9350'], { STRATUS_PORT: '9400' }).port).toBe(9350);
    expect(devPort([], { STRATUS_PORT: '9400' }).port).toBe(9400);
    expect(devPort(['--reset'], {})).toEqual({ port: 8787, rest: ['--reset'] });
    expect(() => devPort(['--port', '65530'], {})).toThrow(/not a port from 1 to 65527/);
    expect(() => devPort(['--port'], {})).toThrow(/not a port/);
  });

  it('keeps the default instance as it was: .data/ and .dev.vars unmoved', async () => {
    expect(devDataDir(8787)).toBe(join(ROOT, '.data'));
    expect(devDataDir(9300)).toBe(join(ROOT, '.data', 'port-9300'));
    expect((await loadDevVars(8787)).moved).toEqual({});
  });

  it('runs two instances at once, each answering its own health check and delivering its own mail', async () => {
    const a = await freeBase();
    const b = await freeBase([a]);
    // Started one after the other: two wranglers starting in the same instant have been seen
    // to race for one of their internal sockets ("Address already in use", once in CI). Once
    // up, both run side by side for the rest of the test.
    const instances = [];
    for (const port of [a, b]) {
      const instance = { port, ...npmRunDev(port) };
      await until(() => health(port), { timeoutMs: 90_000, intervalMs: 250 }).catch((error) => {
        throw new Error(
          `instance on ${port} did not answer: ${error}\n${instance.output.join('')}`,
        );
      });
      instances.push(instance);
    }
    for (const { port } of instances) expect(await health(port)).toBe(200);
    const emails = instances.map(({ port }) => `dev-${port}-${Date.now()}@example.com`);
    for (const [i, { port }] of instances.entries()) {
      expect((await register(port, emails[i] as string)).status).toBe(201);
    }

    // Each verification e-mail went through its own instance's QStash, job route and mailbox.
    for (const [i, { port }] of instances.entries()) {
      const [mail] = await until(
        async () => {
          const messages = await inbox(port, emails[i] as string);
          return messages.length > 0 ? messages : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );
      expect(mail?.text).toContain('/verify?token=');
      expect(await inbox(port, emails[1 - i] as string)).toEqual([]);
      const urls = JSON.parse(
        await readFile(`${devDataDir(port)}/local-cloud.json`, 'utf8'),
      ) as Record<string, string>;
      expect(urls.mailbox).toBe(`http://127.0.0.1:${servicePorts(port).mailbox}`);
    }
  }, 150_000);

  it('refuses to start on a taken port, naming the process that holds it', async () => {
    const port = await freeBase(started.map((instance) => instance.port));
    const holder = createServer();
    await new Promise<void>((resolve) =>
      holder.listen(servicePorts(port).redis, '127.0.0.1', resolve),
    );
    try {
      const { child, output } = npmRunDev(port);
      const [code] = await once(child, 'exit');
      expect(code).toBe(1);
      expect(output.join('')).toContain(
        `port ${servicePorts(port).redis} (redis) is in use by pid ${process.pid} (`,
      );
    } finally {
      holder.close();
    }
  }, 60_000);

  it('names the holder when a local cloud service cannot listen', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as AddressInfo;
    try {
      await expect(listenOnLoopback('mailbox', () => new Response('ok'), port)).rejects.toThrow(
        `port ${port} (mailbox) is in use by pid ${process.pid} (`,
      );
    } finally {
      holder.close();
    }
  });
});
