import { env } from 'cloudflare:test';
import fc from 'fast-check';
import { MAX_INT4 } from '../../src/lib/schema-fields';
import { signLikeQStash } from '../helpers/jobs';
import { PASSWORD, type TestUser, type Tokens } from '../helpers/users';
import { API, ORIGIN } from '../helpers/worker';
import { invalidValue, type JsonSchema, validValue } from './json-schema-arbitrary';
import type { Operation } from './openapi-contract';

// Requests generated from an operation of the OpenAPI document: valid and invalid bodies,
// path parameters, queries and headers, sent anonymously, with a bad token or scheme, with a
// signed-in user's token or cookie, and with a superuser's token.

export interface Persona extends TestUser {
  tokens: Tokens;
}

/** The data the generated requests act on, made once and remade when a request ended it. */
export interface World {
  user: Persona;
  admin: Persona;
  /** A user only this file's superuser requests may change or delete. */
  victim: TestUser;
  itemIds: number[];
  postIds: number[];
  etags: string[];
  sessionIds: string[];
  /** A role of this file's own, which superuser requests may edit or delete. */
  role: string;
}

// What a generated request is: printable, so a counterexample reads as the request it was.

type Auth = 'none' | 'user' | 'superuser' | 'bad-token' | 'bad-scheme' | 'cookie' | 'signed';

interface GeneratedRequest {
  auth: Auth;
  /** The path with its parameters filled in (URL-encoded). */
  path: string;
  query: [string, string][];
  headers: Record<string, string>;
  body?: { contentType?: string; text: string };
  /** The client network, which the per-IP limits count: distinct per run unless absent. */
  ip: 'distinct' | 'none' | 'malformed';
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** One of the test settings' `BACKEND_CORS_ORIGINS`. */
const ALLOWED_ORIGIN = 'https://app.example.com';
const FAR_ID = fc.integer({ min: 1_000_000_000, max: MAX_INT4 });

/** Values a client might put anywhere: wrong types, edge numbers, injection-looking text. */
const junk = fc.oneof(
  fc.constantFrom('', ' ', '0', '-1', '1.5', '1e3', '0x10', 'null', 'true', '[]', '{}', '%', '..'),
  fc.constantFrom(`${MAX_INT4 + 1}`, '99999999999999999999', "' OR 1=1 --", '<script>', '\u0000'),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);

const asText = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * A value for a path, query or header parameter, as text: valid or `known`, and with `faults`
 * also invalid or junk.
 */
function parameterValue(schema: JsonSchema, faults: boolean, known: fc.Arbitrary<string>[] = []) {
  const invalid = faults ? invalidValue(schema) : undefined;
  return fc.oneof(
    { weight: 3, arbitrary: validValue(schema).map(asText) },
    ...known.map((arbitrary) => ({ weight: 3, arbitrary })),
    ...(invalid ? [{ weight: 1, arbitrary: invalid.map(asText) }] : []),
    ...(faults ? [{ weight: 1, arbitrary: junk }] : []),
  );
}

/**
 * Path parameters that name shared data. Changes name only this file's own rows or ids no row
 * has; reads may name anything the schema allows.
 */
function pathValue(
  operation: Operation,
  name: string,
  schema: JsonSchema,
  w: World,
  faults: boolean,
) {
  const own = (values: (string | number)[]) => fc.constantFrom(...values.map(String));
  const change = UNSAFE.has(operation.method);
  const known: fc.Arbitrary<string>[] = [];
  if (name === 'id' && operation.path.startsWith('/items/')) known.push(own(w.itemIds));
  if (name === 'id' && operation.path.startsWith('/posts/')) known.push(own(w.postIds));
  if (name === 'id' && operation.path.startsWith('/users/me/sessions/'))
    known.push(own(w.sessionIds));
  if (name === 'id' && /^\/(rbac\/)?users\/\{id\}/.test(operation.path)) {
    known.push(own(change ? [w.victim.id] : [w.victim.id, w.user.id, w.admin.id]));
  }
  if (name === 'role') {
    const granting = operation.path.startsWith('/rbac/users/');
    known.push(own(change && !granting ? [w.role] : [w.role, 'viewer', 'editor', 'admin']));
  }
  if (name === 'task') known.push(own(['send_email', 'no_such_task']));
  if (!change) return parameterValue(schema, faults, known);
  const safe = schema.type === 'integer' ? FAR_ID.map(String) : fc.constant(`zz-${name}-none`);
  const invalid = faults ? invalidValue(schema) : undefined;
  const small = (value: string) => !/^\d+$/.test(value) || Number(value) > MAX_INT4;
  return fc.oneof(
    { weight: 3, arbitrary: safe },
    ...known.map((arbitrary) => ({ weight: 3, arbitrary })),
    ...(invalid ? [{ weight: 1, arbitrary: invalid.map(asText).filter(small) }] : []),
    ...(faults ? [{ weight: 1, arbitrary: junk.filter(small) }] : []),
  );
}

/** Header values must be Latin-1 without line breaks; anything else is sent URL-encoded. */
const headerSafe = (value: string) =>
  /^[\x20-\x7e]*$/.test(value) ? value.trim() : encodeURIComponent(value);

function form(value: unknown): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return asText(value);
  return new URLSearchParams(
    Object.entries(value).map(([key, entry]) => [key, asText(entry)]),
  ).toString();
}

/**
 * Operations whose well-formed requests hash a password (scrypt, about 0.2 s of CPU each: a
 * login, a registration, a reset, which hashes before it checks its token, a change that
 * names the current password or sets a new one): fewer of them, so the test stays in time.
 */
const HASHING = new Set([
  'POST /auth/register',
  'POST /auth/jwt/login',
  'POST /auth/cookie/login',
  'POST /auth/reset-password',
  'PATCH /users/me',
  'PATCH /users/{id}',
]);

const STRAY_BODY = fc.oneof(
  fc.jsonValue().map((value) => ({ contentType: 'application/json', text: JSON.stringify(value) })),
  fc.constantFrom(
    { contentType: 'application/json', text: '{"a":' },
    { contentType: 'application/json', text: 'not json' },
    { contentType: 'application/json; charset=utf-8', text: '[1,2' },
    { contentType: 'text/plain', text: 'hello' },
    { contentType: 'application/x-www-form-urlencoded', text: 'a=1&b' },
    { contentType: 'multipart/form-data; boundary=x', text: '--x--' },
    { text: '{}' },
  ),
);

/**
 * Bodies: valid per the declared schema (with this world's accounts and tokens mixed in), and
 * with `faults` also invalid, any JSON, malformed, absent or of another media type.
 */
function bodyValue(
  operation: Operation,
  w: World,
  faults: boolean,
): fc.Arbitrary<GeneratedRequest['body']> {
  // Faulty requests to the hashing routes send only bodies their schema refuses (and so
  // refused before any hash): their well-formed bodies come from the well-formed requests.
  const cheap = faults && HASHING.has(operation.name);
  const declared = operation.body;
  if (!declared) {
    return faults
      ? fc.oneof(
          { weight: 4, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: STRAY_BODY },
        )
      : fc.constant(undefined);
  }
  const known: Record<string, unknown[]> = {
    email: [w.victim.email],
    username: [w.victim.email],
    password: [PASSWORD],
    current_password: [PASSWORD],
    refresh_token: [w.user.tokens.refresh_token],
  };
  const perType = Object.entries(declared.content).map(([contentType, { schema }]) => {
    const encode = contentType.includes('form') ? form : JSON.stringify;
    const valid = validValue(schema, known).map((value) => ({ contentType, text: encode(value) }));
    const invalid = faults ? invalidValue(schema) : undefined;
    if (!invalid) return valid;
    const refused = invalid.map((value) => ({ contentType, text: encode(value) }));
    return cheap ? refused : fc.oneof(valid, refused);
  });
  if (!faults) return fc.oneof(...perType);
  return fc.oneof(
    { weight: 7, arbitrary: fc.oneof(...perType) },
    { weight: 2, arbitrary: STRAY_BODY },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

/** Who sends it: the credentials an operation expects, and with `faults` any others. */
function authOf(operation: Operation, faults: boolean): fc.Arbitrary<Auth> {
  if (operation.path.startsWith('/jobs/')) {
    return faults ? fc.constantFrom<Auth>('signed', 'none', 'bad-token') : fc.constant('signed');
  }
  if (!faults) return fc.constantFrom<Auth>('user', 'superuser');
  return fc.constantFrom<Auth>('user', 'superuser', 'none', 'bad-token', 'bad-scheme', 'cookie');
}

/** A request with every part as the document says (`faults` false), or with anything in it. */
function requestWith(operation: Operation, w: World, faults: boolean) {
  const params = (where: string) => operation.parameters.filter((p) => p.in === where);
  const path = fc
    .tuple(
      ...params('path').map((p) =>
        pathValue(operation, p.name, p.schema, w, faults)
          // A URL cannot carry a segment `.` or `..` (encoded or not): it is a dot segment.
          .filter((v) => v !== '.' && v !== '..')
          .map((v) => [p.name, v] as const),
      ),
    )
    .map((values) =>
      values.reduce(
        (filled, [name, value]) => filled.replace(`{${name}}`, encodeURIComponent(value)),
        operation.path,
      ),
    );
  const optional = (p: Operation['parameters'][number], known: fc.Arbitrary<string>[] = []) =>
    fc.option(
      parameterValue(p.schema, faults, known).map((value) => [p.name, value] as [string, string]),
      { nil: undefined, freq: 2 },
    );
  const query = fc
    .tuple(...params('query').map((p) => optional(p)))
    .map((entries) => entries.filter((entry) => entry !== undefined));
  const etags = fc.constantFrom(...w.etags, '*', 'W/"0"');
  const requestId = junk.map((value) => ['X-Request-ID', value] as [string, string]);
  // The cookie routes need an allowed Origin; a browser always sends one on a POST.
  const origins = faults ? [ALLOWED_ORIGIN, 'https://evil.example'] : [ALLOWED_ORIGIN];
  const origin = fc.constantFrom(...origins).map((value) => ['Origin', value] as [string, string]);
  const headers = fc
    .tuple(
      ...params('header').map((p) => optional(p, p.name.startsWith('if-') ? [etags] : [])),
      faults ? fc.option(requestId, { nil: undefined }) : fc.constant(undefined),
      faults ? fc.option(origin, { nil: undefined }) : origin,
    )
    .map((entries) =>
      Object.fromEntries(
        entries
          .filter((entry) => entry !== undefined)
          .map(([name, value]) => [name, headerSafe(value)]),
      ),
    );
  const ip = faults
    ? fc.constantFrom<GeneratedRequest['ip']>(
        'distinct',
        'distinct',
        'distinct',
        'none',
        'malformed',
      )
    : fc.constant<GeneratedRequest['ip']>('distinct');
  return fc.record({
    auth: authOf(operation, faults),
    path,
    query,
    headers,
    body: bodyValue(operation, w, faults),
    ip,
  });
}

/**
 * Requests for `operation`: half of them well-formed, from credentials it accepts (one in six
 * where that costs a password hash), the others with anything anywhere.
 */
export function requestOf(operation: Operation, w: World): fc.Arbitrary<GeneratedRequest> {
  return fc.oneof(
    { weight: HASHING.has(operation.name) ? 1 : 5, arbitrary: requestWith(operation, w, false) },
    { weight: 5, arbitrary: requestWith(operation, w, true) },
  );
}

let sent = 0;

/** The generated request as the client sends it, with this world's credentials. */
export async function toRequest(operation: Operation, generated: GeneratedRequest, w: World) {
  const headers = new Headers(generated.headers);
  if (generated.body?.contentType) headers.set('Content-Type', generated.body.contentType);
  sent += 1;
  if (generated.ip === 'distinct') {
    // IPv6 clients are limited per /64: the run number goes in the third and fourth groups.
    headers.set(
      'CF-Connecting-IP',
      `2001:db8:${(0x1500 + (sent >> 16)).toString(16)}:${(sent & 0xffff).toString(16)}::1`,
    );
  } else if (generated.ip === 'malformed') {
    headers.set('CF-Connecting-IP', 'not-an-ip');
  }
  const query = new URLSearchParams(generated.query).toString();
  const url = `${ORIGIN}${API}${generated.path}${query ? `?${query}` : ''}`;
  const body = operation.method === 'GET' ? undefined : generated.body?.text;
  switch (generated.auth) {
    case 'user':
      headers.set('Authorization', `Bearer ${w.user.tokens.access_token}`);
      break;
    case 'superuser':
      headers.set('Authorization', `Bearer ${w.admin.tokens.access_token}`);
      break;
    case 'bad-token':
      headers.set('Authorization', 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl');
      headers.set('Upstash-Signature', 'eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl');
      break;
    case 'bad-scheme':
      headers.set('Authorization', `Basic ${btoa('user:password')}`);
      break;
    case 'cookie':
      headers.set('Cookie', `__Host-stratus_auth=${w.user.tokens.access_token}`);
      break;
    case 'signed':
      // QStash signs the URL it was given: the one under PUBLIC_BASE_URL.
      headers.set(
        'Upstash-Signature',
        await signLikeQStash({
          url: `${env.PUBLIC_BASE_URL}${API}${generated.path}`,
          body: body ?? '',
        }),
      );
      headers.set('Upstash-Message-Id', `msg_fuzz_${sent}`);
      headers.set('Upstash-Retried', '0');
      break;
  }
  return new Request(url, { method: operation.method, headers, body });
}
