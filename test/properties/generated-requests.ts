import fc from 'fast-check';
import { MAX_INT4 } from '../../src/lib/pagination';
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
const FAR_ID = fc.integer({ min: 1_000_000_000, max: MAX_INT4 });

/** Values a client might put anywhere: wrong types, edge numbers, injection-looking text. */
const junk = fc.oneof(
  fc.constantFrom('', ' ', '0', '-1', '1.5', '1e3', '0x10', 'null', 'true', '[]', '{}', '%', '..'),
  fc.constantFrom(`${MAX_INT4 + 1}`, '99999999999999999999', "' OR 1=1 --", '<script>', '\u0000'),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);

const asText = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** A value for a path, query or header parameter: valid, invalid or junk, as text. */
function parameterValue(schema: JsonSchema, known: fc.Arbitrary<string>[] = []) {
  const invalid = invalidValue(schema);
  return fc.oneof(
    { weight: 3, arbitrary: validValue(schema).map(asText) },
    ...known.map((arbitrary) => ({ weight: 3, arbitrary })),
    ...(invalid ? [{ weight: 1, arbitrary: invalid.map(asText) }] : []),
    { weight: 1, arbitrary: junk },
  );
}

/**
 * Path parameters that name shared data. Changes name only this file's own rows or ids no row
 * has; reads may name anything the schema allows.
 */
function pathValue(operation: Operation, name: string, schema: JsonSchema, w: World) {
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
  if (!change) return parameterValue(schema, known);
  const safe = schema.type === 'integer' ? FAR_ID.map(String) : fc.constant(`zz-${name}-none`);
  const invalid = invalidValue(schema);
  return fc.oneof(
    { weight: 3, arbitrary: safe },
    ...known.map((arbitrary) => ({ weight: 3, arbitrary })),
    ...(invalid
      ? [
          {
            weight: 1,
            arbitrary: invalid
              .map(asText)
              .filter((value) =>
                schema.type === 'integer' ? Number(value) < 1_000_000_000 : true,
              ),
          },
        ]
      : []),
    {
      weight: 1,
      arbitrary: junk.filter((value) => !/^\d+$/.test(value) || Number(value) > MAX_INT4),
    },
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

/** Bodies: valid per the declared schema, invalid, any JSON, malformed, absent or of another type. */
function bodyValue(operation: Operation, w: World): fc.Arbitrary<GeneratedRequest['body']> {
  const declared = operation.body;
  const stray = fc.oneof(
    fc
      .jsonValue()
      .map((value) => ({ contentType: 'application/json', text: JSON.stringify(value) })),
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
  if (!declared) {
    return fc.oneof(
      { weight: 4, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: stray },
    );
  }
  const known: Record<string, unknown[]> = {
    email: [w.victim.email],
    username: [w.victim.email],
    current_password: [PASSWORD],
    refresh_token: [w.user.tokens.refresh_token],
  };
  const perType = Object.entries(declared.content).map(([contentType, { schema }]) => {
    const encode = contentType.includes('form') ? form : JSON.stringify;
    const invalid = invalidValue(schema);
    return fc.oneof(
      {
        weight: 4,
        arbitrary: validValue(schema, known).map((value) => ({ contentType, text: encode(value) })),
      },
      ...(invalid
        ? [{ weight: 3, arbitrary: invalid.map((value) => ({ contentType, text: encode(value) })) }]
        : []),
    );
  });
  return fc.oneof(
    { weight: 7, arbitrary: fc.oneof(...perType) },
    { weight: 2, arbitrary: stray },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

export function requestOf(operation: Operation, w: World): fc.Arbitrary<GeneratedRequest> {
  const params = (where: string) => operation.parameters.filter((p) => p.in === where);
  const path = fc
    .tuple(
      ...params('path').map((p) =>
        pathValue(operation, p.name, p.schema, w)
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
      parameterValue(p.schema, known).map((value) => [p.name, value] as [string, string]),
      {
        nil: undefined,
        freq: 2,
      },
    );
  const query = fc
    .tuple(...params('query').map((p) => optional(p)))
    .map((entries) => entries.filter((entry) => entry !== undefined));
  const etags = fc.constantFrom(...w.etags, '*', 'W/"0"');
  const headers = fc
    .tuple(
      ...params('header').map((p) => optional(p, p.name.startsWith('if-') ? [etags] : [])),
      fc.option(
        junk.map((value) => ['X-Request-ID', value] as [string, string]),
        { nil: undefined },
      ),
    )
    .map((entries) =>
      Object.fromEntries(
        entries
          .filter((entry) => entry !== undefined)
          .map(([name, value]) => [name, headerSafe(value)]),
      ),
    );
  const secured = operation.path.startsWith('/jobs/')
    ? fc.constantFrom<Auth>('signed', 'signed', 'none', 'bad-token')
    : fc.constantFrom<Auth>(
        'user',
        'user',
        'superuser',
        'superuser',
        'none',
        'bad-token',
        'bad-scheme',
        'cookie',
      );
  return fc.record({
    auth: secured,
    path,
    query,
    headers,
    body: bodyValue(operation, w),
    ip: fc.constantFrom<GeneratedRequest['ip']>(
      'distinct',
      'distinct',
      'distinct',
      'distinct',
      'none',
      'malformed',
    ),
  });
}

let sent = 0;

/** The generated request as the client sends it, with this world's credentials. */
export async function toRequest(operation: Operation, generated: GeneratedRequest, w: World) {
  const headers = new Headers(generated.headers);
  if (generated.body?.contentType) headers.set('Content-Type', generated.body.contentType);
  sent += 1;
  if (generated.ip === 'distinct') {
    headers.set(
      'CF-Connecting-IP',
      `2001:db8:15:${(sent >> 16).toString(16)}:${(sent & 0xffff).toString(16)}::1`,
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
      headers.set('Origin', sent % 2 === 0 ? 'https://app.example.com' : 'https://evil.example');
      break;
    case 'signed':
      headers.set('Upstash-Signature', await signLikeQStash({ url, body: body ?? '' }));
      headers.set('Upstash-Message-Id', `msg_fuzz_${sent}`);
      headers.set('Upstash-Retried', '0');
      break;
  }
  return new Request(url, { method: operation.method, headers, body });
}
