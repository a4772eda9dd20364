import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lintDocument } from '../../dev/lint-api';
import { openApiDocument } from '../../dev/openapi-document';
import { MODULES } from '../../src/modules/index';

const env = {
  APP_ENV: 'test',
  LOG_LEVEL: 'error',
  SECRET_KEY: 'test-secret-key-that-is-long-enough-0123456789',
  DATABASE_URL: 'postgresql://stratus:stratus@localhost/stratus',
  PUBLIC_BASE_URL: 'https://api.example.com',
};

type Json = Record<string, unknown>;
interface Operation extends Json {
  operationId?: string;
  tags?: string[];
  requestBody?: Json;
  responses: Record<string, { headers?: Record<string, unknown> }>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

function operations(document: Json): [string, Operation][] {
  const paths = document.paths as Record<string, Record<string, Operation>>;
  return Object.entries(paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]): [string, Operation] => [
        `${method.toUpperCase()} ${path}`,
        operation,
      ]),
  );
}

/** Every schema object of the document with a `type`, and where it is. */
function* schemas(node: unknown, at = '#'): Generator<[string, Json]> {
  if (Array.isArray(node)) {
    for (const [index, item] of node.entries()) yield* schemas(item, `${at}/${index}`);
  } else if (node && typeof node === 'object') {
    const object = node as Json;
    if (typeof object.type === 'string' || Array.isArray(object.type)) yield [at, object];
    for (const [key, value] of Object.entries(object)) yield* schemas(value, `${at}/${key}`);
  }
}

const typed = (schema: Json, type: string) =>
  schema.type === type || (Array.isArray(schema.type) && schema.type.includes(type));

describe('the OpenAPI document', () => {
  let document: Json;

  beforeAll(async () => {
    document = (await openApiDocument(env)) as Json;
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('gives every operation a unique operationId named after its module (issue 17)', () => {
    const ids = operations(document).map(([route, operation]) => [route, operation.operationId]);
    expect(ids.filter(([, id]) => typeof id !== 'string')).toEqual([]);
    expect(new Set(ids.map(([, id]) => id)).size).toBe(ids.length);
    for (const [, operation] of operations(document)) {
      expect(operation.operationId).toMatch(new RegExp(`^${operation.tags?.[0]}\\.[a-z]\\w*$`));
    }
    expect(ids).toContainEqual(['POST /api/v1/auth/jwt/login', 'auth.login']);
    expect(ids).toContainEqual(['GET /api/v1/users/me', 'users.getMe']);
    expect(ids).toContainEqual(['GET /api/v1/items', 'items.list']);
  });

  it('declares its server from PUBLIC_BASE_URL and a described tag per module (issue 17)', () => {
    expect(document.servers).toEqual([
      expect.objectContaining({ url: 'https://api.example.com', description: 'Stratus, test' }),
    ]);
    const tags = document.tags as { name: string; description: string }[];
    expect(tags.map((tag) => tag.name)).toEqual(MODULES.map((module) => module.name));
    for (const tag of tags) expect(tag.description.length).toBeGreaterThan(10);
    for (const [, operation] of operations(document)) {
      expect(tags.map((tag) => tag.name)).toEqual(expect.arrayContaining(operation.tags ?? []));
    }
  });

  it('bounds every string and gives every integer a format (issue 17)', () => {
    const found = [...schemas(document)];
    expect(found.length).toBeGreaterThan(100);
    const unbounded = found
      .filter(([, schema]) => typed(schema, 'string'))
      .filter(([, schema]) => !('maxLength' in schema || 'enum' in schema || 'const' in schema))
      .map(([at]) => at);
    expect(unbounded).toEqual([]);
    const formatless = found
      .filter(([, schema]) => typed(schema, 'integer'))
      .filter(([, schema]) => !['int32', 'int64'].includes(String(schema.format)))
      .map(([at]) => at);
    expect(formatless).toEqual([]);
  });

  it('declares the rate limit headers, Retry-After and the global middleware statuses (issue 17)', () => {
    const all = new Map(operations(document));
    const login = all.get('POST /api/v1/auth/jwt/login') as Operation;
    for (const status of ['200', '400', '422', '429']) {
      expect(Object.keys(login.responses[status]?.headers ?? {})).toEqual(
        expect.arrayContaining(['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']),
      );
    }
    expect(login.responses['429']?.headers).toHaveProperty('Retry-After');
    // Routes with a body: malformed JSON, too large, another media type.
    const create = all.get('POST /api/v1/items') as Operation;
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['400', '413', '415']));
    // Health is not rate limited, so it declares no RateLimit headers and no 429.
    const health = all.get('GET /api/v1/health') as Operation;
    expect(health.responses['200']?.headers).not.toHaveProperty('RateLimit-Limit');
    expect(health.responses).not.toHaveProperty('429');
    const headers = (document.components as Json).headers as Json;
    expect(Object.keys(headers)).toEqual(
      expect.arrayContaining(['RateLimit-Limit', 'RateLimit-Reset', 'Retry-After']),
    );
  });

  it('declares what the global middleware answers on routes that take no body, on forms and on empty path parameters (issue 15)', () => {
    const all = new Map(operations(document));
    const codes = (name: string) => {
      const { responses } = all.get(name) as Operation;
      return Object.fromEntries(
        Object.entries(responses).map(([status, response]) => [
          status,
          String((response as { description?: string }).description).split(' | '),
        ]),
      );
    };
    // A JSON body sent to a route that takes none is still parsed, and limited.
    const logout = codes('POST /api/v1/auth/jwt/logout');
    expect(logout['400']).toContain('MALFORMED_JSON');
    expect(logout['413']).toEqual(['PAYLOAD_TOO_LARGE']);
    // A form that cannot be parsed.
    expect(codes('POST /api/v1/auth/jwt/login')['400']).toContain('BAD_REQUEST');
    // `/items/` (an empty id) matches no route.
    expect(codes('DELETE /api/v1/items/{id}')['404']).toContain('NOT_FOUND');
    // A GET carries no body and has no path parameter here: neither applies.
    const me = codes('GET /api/v1/users/me');
    expect(me['400']).toBeUndefined();
    expect(me['404']).toBeUndefined();
  });
});

// `npm run lint:api` (issue 15): Spectral with the OWASP rules of .spectral.yaml, run by CI.
describe('npm run lint:api', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'stratus-lint-test-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('passes the document the app serves', async () => {
    const path = join(scratch, 'served.json');
    writeFileSync(path, JSON.stringify(await openApiDocument(env)));
    expect(lintDocument(path, 'pipe')).toMatchObject({ status: 0 });
  }, 60_000);

  it('fails on a document with an unbounded string, an operation without an id and no servers', async () => {
    const document = (await openApiDocument(env)) as Json;
    const [, operation] = operations(document).find(([route]) => route === 'GET /api/v1/items') as [
      string,
      Operation,
    ];
    delete operation.operationId;
    delete document.servers;
    const schemas = (document.components as { schemas: Record<string, Json> }).schemas;
    (schemas.Item?.properties as Record<string, Json>).title = { type: 'string' };
    const path = join(scratch, 'broken.json');
    writeFileSync(path, JSON.stringify(document));
    const { status, output } = lintDocument(path, 'pipe');
    expect(status).not.toBe(0);
    expect(output).toContain('owasp:api4:2023-string-limit');
    expect(output).toContain('operation-operationId');
    expect(output).toContain('oas3-api-servers');
  }, 60_000);
});
