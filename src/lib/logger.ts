import { SECRET_SETTINGS, type Settings } from '../settings';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

type Fields = Record<string, unknown>;

/** What a redacted value is written as. */
export const REDACTED = '[redacted]';

/**
 * Field names whose values are secrets at any depth: passwords, tokens, cookies,
 * `Authorization`, signatures, keys that sign or encrypt, connection strings. Numbers and
 * booleans under them are kept (`one_time_tokens: 3` is a count, not a token).
 */
const SECRET_FIELD =
  /passw(?:or)?d|passphrase|secret|token|authorization|cookie|credential|signature|api[-_]?key|(?:signing|private|encryption|access)[-_]?key|connection[-_]?string|database[-_]?url/i;

/** Secrets recognisable by their shape inside any string, with what replaces them. */
const SECRET_SHAPES: readonly [RegExp, string][] = [
  // A JWT: base64url of `{"` in its header and its payload.
  [/eyJ[\w-]*\.eyJ[\w-]*\.[\w-]*/g, REDACTED],
  // The credentials of an `Authorization` header written out.
  [/\b(Bearer|Basic)\s+[\w.~+/-]{8,}=*/gi, `$1 ${REDACTED}`],
  // The password of a URL (`postgresql://user:password@host`).
  [/\b([a-z][a-z\d+.-]*:\/\/[^\s:/?#@]*):[^\s/?#@]+@/gi, `$1:${REDACTED}@`],
  // Query or form parameters holding one (`/verify?token=…`, `code=…` of an OAuth callback).
  [
    /([?&])([\w.-]*(?:token|passw(?:or)?d|secret|signature|api[-_]?key)[\w.-]*|code|key)=[^&#\s"'<>]+/gi,
    `$1$2=${REDACTED}`,
  ],
];

function scrub(text: string, secrets: readonly string[]): string {
  let scrubbed = text;
  for (const secret of secrets) {
    if (scrubbed.includes(secret)) scrubbed = scrubbed.replaceAll(secret, REDACTED);
  }
  for (const [shape, replacement] of SECRET_SHAPES) scrubbed = scrubbed.replace(shape, replacement);
  return scrubbed;
}

/**
 * A `JSON.stringify` replacer that redacts secret fields by name and secrets inside strings
 * (the values of `secrets`, and JWTs, bearer credentials, URL passwords, token parameters by
 * shape), and writes errors out with their name, message, stack, cause and own fields, which
 * plain `JSON.stringify` drops.
 */
function redactor(secrets: readonly string[]) {
  return function redact(key: string, value: unknown): unknown {
    if (
      value != null &&
      typeof value !== 'number' &&
      typeof value !== 'boolean' &&
      SECRET_FIELD.test(key)
    ) {
      return REDACTED;
    }
    if (typeof value === 'string') return scrub(value, secrets);
    if (value instanceof Error) {
      const { name, message, stack, cause } = value;
      return { ...value, name, message, stack, ...(cause !== undefined && { cause }) };
    }
    if (value instanceof Headers) return Object.fromEntries(value);
    return value;
  };
}

type Redact = ReturnType<typeof redactor>;

/** Redaction by name and shape only, for loggers made before the settings are known. */
const byNameAndShape = redactor([]);

const settingsRedactors = new WeakMap<Settings, Redact>();

/** Redaction that also replaces the values of the secret settings, made once per settings. */
function redactorFor(settings: Settings): Redact {
  let redact = settingsRedactors.get(settings);
  if (!redact) {
    redact = redactor(
      SECRET_SETTINGS.map((name) => settings[name]).filter(
        (value): value is string => typeof value === 'string' && value.length >= 8,
      ),
    );
    settingsRedactors.set(settings, redact);
  }
  return redact;
}

/**
 * A JSON-lines logger: one object per line, which Workers Logs indexes field by field. Made
 * once per request, so it is a plain object whose methods live on its prototype. Every line is
 * redacted: no password, token, cookie, `Authorization`, signing key or secret setting is
 * written, at any depth of the fields (see {@link REDACTED}).
 *
 * @example
 * const log = createLogger(settings, { request_id: 'abc' });
 * log.warn('rate limiter unreachable, allowing request', { policy: 'api' });
 */
export class Logger {
  constructor(
    private readonly level: LogLevel,
    private readonly base: Fields = {},
    private readonly redact: Redact = byNameAndShape,
  ) {}

  /** Whether a line at `level` would be written: skip building costly fields when not. */
  enabled(level: LogLevel): boolean {
    return RANK[level] >= RANK[this.level];
  }

  debug(message: string, fields?: Fields) {
    this.write('debug', message, fields);
  }

  info(message: string, fields?: Fields) {
    this.write('info', message, fields);
  }

  warn(message: string, fields?: Fields) {
    this.write('warn', message, fields);
  }

  error(message: string, fields?: Fields) {
    this.write('error', message, fields);
  }

  private write(level: LogLevel, message: string, fields?: Fields) {
    if (!this.enabled(level)) return;
    const line = JSON.stringify({ level, message, ...this.base, ...fields }, this.redact);
    if (level === 'error') console.error(line);
    else if (level === 'warn') console.warn(line);
    else console.log(line);
  }
}

/**
 * A {@link Logger} writing lines at a level and above, each carrying the fields of `base`.
 * Given the settings, it takes their `LOG_LEVEL` and also redacts the values of the secret
 * settings (`SECRET_KEY`, signing keys, API tokens…) wherever they appear; given only a level
 * (before the settings are known), it redacts by field name and by shape.
 */
export function createLogger(levelOrSettings: LogLevel | Settings, base?: Fields): Logger {
  if (typeof levelOrSettings === 'string') return new Logger(levelOrSettings, base);
  return new Logger(levelOrSettings.LOG_LEVEL, base, redactorFor(levelOrSettings));
}
