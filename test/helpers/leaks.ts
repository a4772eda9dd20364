/**
 * The log guard (issue 15): every line written to the console while the suite runs is checked
 * for a secret. The secrets are the secret settings (registered by `test/log-guard.ts`), every
 * password, token, cookie and `Authorization` credential a test sent to the Worker or the
 * Worker issued (registered by the request helpers through {@link watchSecrets}), and anything
 * shaped like a JWT. A line holding one is a leak: the test that wrote it fails.
 */

const LOG_METHODS = ['log', 'info', 'debug', 'warn', 'error'] as const;

/** A registered secret is at least this long: shorter values (`'short'`, rejected passwords) are words. */
const MIN_SECRET_LENGTH = 8;

/**
 * Field names of request and response bodies whose values are secrets. Written here rather
 * than taken from the logger, so that a name the logger forgets is still caught. A name that
 * ends in a location or a kind (`tokenUrl`, `refreshUrl` of the OpenAPI document, `token_type`)
 * holds no secret: its value (a route's path) is in every log line of that route.
 */
const SECRET_FIELD = /^(?!.*(?:url|uri|type)$).*(?:passw(?:or)?d|secret|token)/i;

const JWT = /eyJ[\w-]*\.eyJ[\w-]*\.[\w-]*/;

const GUARD = Symbol.for('stratus.log-guard');

interface GuardState {
  installed: boolean;
  /** Secret value → what it is. */
  secrets: Map<string, string>;
  leaks: Leak[];
}

/** One line that held a secret: what kind, and the line with the secret masked. */
export interface Leak {
  secret: string;
  line: string;
}

// On the global object, beside the `console` it wraps: one guard per isolate, even if test
// files came to share isolates (vitest's `isolate: false`) and so this module ran again.
const holder = globalThis as { [GUARD]?: GuardState };
holder[GUARD] ??= { installed: false, secrets: new Map(), leaks: [] };
const state = holder[GUARD];

/** Counts `value` as a secret under `label` (e.g. `SECRET_KEY`, `password`). */
export function registerSecret(value: unknown, label: string): void {
  if (typeof value === 'string' && value.length >= MIN_SECRET_LENGTH)
    state.secrets.set(value, label);
}

/** The secret-named fields of a JSON or form body, at any depth. */
function registerFields(value: unknown, key = ''): void {
  if (typeof value === 'string') {
    if (SECRET_FIELD.test(key)) registerSecret(value, key);
  } else if (Array.isArray(value)) {
    for (const item of value) registerFields(item, key);
  } else if (value && typeof value === 'object') {
    for (const [name, item] of Object.entries(value)) registerFields(item, name);
  }
}

async function registerBody(message: Request | Response): Promise<void> {
  const type = message.headers.get('Content-Type') ?? '';
  if (!message.body) return;
  const json = type.includes('json');
  if (!json && !type.includes('application/x-www-form-urlencoded')) return;
  const text = new TextDecoder().decode(await message.clone().arrayBuffer());
  if (!json) return registerFields(Object.fromEntries(new URLSearchParams(text)));
  try {
    registerFields(JSON.parse(text));
  } catch {
    // Not JSON after all (a test sending a malformed body on purpose): nothing to learn.
  }
}

function registerCookies(header: string | null | undefined): void {
  for (const pair of header?.split(/;\s*/) ?? []) registerSecret(pair.split('=')[1], 'cookie');
}

/**
 * Wraps a way of sending requests to the Worker: the secrets of each request (`Authorization`,
 * cookies, passwords and tokens in its body) and of each answer (tokens, `Set-Cookie`) are
 * registered before the test sees the answer.
 *
 * @example
 * const send = watchSecrets((request) => exports.default.fetch(request));
 */
export function watchSecrets(
  send: (request: Request) => Promise<Response>,
): (request: Request) => Promise<Response> {
  return async function sendWatched(request) {
    registerSecret(request.headers.get('Authorization')?.replace(/^\w+\s+/, ''), 'authorization');
    registerCookies(request.headers.get('Cookie'));
    await registerBody(request);
    const response = await send(request);
    for (const cookie of response.headers.getSetCookie()) registerCookies(cookie.split(';')[0]);
    await registerBody(response);
    return response;
  };
}

/** The kinds of secret `line` holds, none when it is clean. */
function secretsIn(line: string): string[] {
  const found = new Set<string>();
  if (JWT.test(line)) found.add('jwt');
  for (const [value, label] of state.secrets) if (line.includes(value)) found.add(label);
  return [...found];
}

function mask(line: string): string {
  let masked = line.replace(new RegExp(JWT.source, 'g'), '<jwt>');
  for (const [value, label] of state.secrets) masked = masked.replaceAll(value, `<${label}>`);
  return masked;
}

function text(args: unknown[]): string {
  return args
    .map((arg) => {
      if (typeof arg === 'string') return arg;
      if (arg instanceof Error) return `${arg.stack ?? arg.message} ${String(arg.cause ?? '')}`;
      try {
        return JSON.stringify(arg) ?? String(arg);
      } catch {
        return String(arg);
      }
    })
    .join(' ');
}

/** Checks one console call; a line that holds a secret is kept, and returned, as a {@link Leak}. */
export function inspectLogLine(args: unknown[]): Leak | undefined {
  const line = text(args);
  const found = secretsIn(line);
  if (found.length === 0) return undefined;
  const leak = { secret: found.join(', '), line: mask(line) };
  state.leaks.push(leak);
  return leak;
}

/** The leaks found since the last call, forgotten once returned. */
function takeLeaks(): Leak[] {
  return state.leaks.splice(0);
}

/** Throws, naming each leaking line (its secrets masked), when a line held a secret. */
export function failOnLeaks(): void {
  const found = takeLeaks();
  if (found.length === 0) return;
  const lines = found.map((leak) => `  ${leak.secret}: ${leak.line.slice(0, 500)}`);
  throw new Error(`a log line held a secret (issue 15):\n${lines.join('\n')}`);
}

/** The suite's app log lines below this level are checked, then not printed. */
const QUIET = new Set(['debug', 'info', 'warn']);

function quiet(args: unknown[]): boolean {
  const [first] = args;
  if (args.length !== 1 || typeof first !== 'string' || !first.startsWith('{"level":"')) {
    return false;
  }
  return QUIET.has(first.slice(10, first.indexOf('"', 10)));
}

/**
 * Wraps `console`'s methods so every line is inspected before it is written (a leaking one
 * with its secrets masked); the app's lines below `error` are inspected and dropped, as the
 * suite prints only errors. Spies installed
 * later (`capturingLogs`) replace the wrapper: they hand what they capture to
 * {@link inspectLogLine} themselves.
 */
export function installLogGuard(): void {
  if (state.installed) return;
  state.installed = true;
  for (const method of LOG_METHODS) {
    const write = console[method].bind(console) as (...args: unknown[]) => void;
    const guarded = (...args: unknown[]) => {
      const leak = inspectLogLine(args);
      if (leak) write(leak.line);
      else if (!quiet(args)) write(...args);
    };
    Object.defineProperty(console, method, { value: guarded, writable: true, configurable: true });
  }
}

/** Runs `run`, then returns (and forgets) the leaks its lines held, rather than failing the test. */
export async function leaksDuring(run: () => unknown): Promise<Leak[]> {
  const before = takeLeaks();
  try {
    await run();
    return takeLeaks();
  } finally {
    state.leaks.unshift(...before);
  }
}
