/**
 * What the benchmark starts, it stops: child processes, workerd, the local cloud. Cleanups
 * run in reverse order on a normal end, on an error, and on SIGINT / SIGTERM / SIGHUP.
 */
import { type ChildProcess, spawn } from 'node:child_process';

type Cleanup = () => Promise<void> | void;

const cleanups: Cleanup[] = [];
const children = new Set<ChildProcess>();

/** Registers work to undo at the end; the last registered runs first. */
export function onCleanup(cleanup: Cleanup): void {
  cleanups.push(cleanup);
}

/** Runs every registered cleanup once, reporting (not throwing) their failures. */
export async function cleanup(): Promise<void> {
  for (let task = cleanups.pop(); task; task = cleanups.pop()) {
    try {
      await task();
    } catch (error) {
      console.error(`cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

/**
 * Cleans up before exiting on a signal or an uncaught error and, as a last resort when the
 * process exits some other way, kills the children still running (an `exit` listener cannot
 * await). Repeated signals are ignored while cleaning up (npm and tsx relay Ctrl-C a second
 * time); cleanup gets 15 s at most.
 */
export function handleExits(): void {
  let stopping = false;
  for (const [signal, number] of Object.entries(SIGNALS)) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      console.error(`\n${signal}: stopping the benchmark`);
      setTimeout(() => process.exit(128 + number), 15_000).unref();
      void cleanup().finally(() => process.exit(128 + number));
    });
  }
  // An error thrown in a callback (autocannon's, a server's) would skip main's own cleanup.
  const crash = (error: unknown) => {
    console.error(error);
    void cleanup().finally(() => process.exit(1));
  };
  process.once('uncaughtException', crash);
  process.once('unhandledRejection', crash);
  process.once('exit', () => {
    for (const child of children) child.kill('SIGKILL');
  });
}

/** A child the caller owns, killed by {@link cleanup} if it is still running then. */
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Runs a command to completion and returns its stdout; rejects with its output on failure. */
export function runCommand(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = track(spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let output = '';
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk;
      output += chunk;
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else {
        const status = signal ?? `exit code ${code}`;
        reject(
          new Error(`${command} ${args.join(' ')} failed (${status}):\n${output.slice(-4000)}`),
        );
      }
    });
  });
}

/** Stops a tracked child: SIGTERM, then SIGKILL if it is still running after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killLater = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(killLater);
}
