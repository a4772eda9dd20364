import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';

const env = {
  APP_ENV: 'test',
  LOG_LEVEL: 'error',
  SECRET_KEY: 'test-secret-key-that-is-long-enough-0123456789',
  DATABASE_URL: 'postgresql://stratus:stratus@localhost/stratus',
};

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const response = await createApp('/api/v1').request('/api/v1/openapi.json', {}, env);
    expect(response.status).toBe(200);
    const document = await response.json();
    const validator = new Validator();
    const result = await validator.validate(document as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('declares the errors a route answers before its handler runs (issue 15)', async () => {
    const response = await createApp('/api/v1').request('/api/v1/openapi.json', {}, env);
    const { paths } = (await response.json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>>;
    };
    const codes = (path: string, method: string) =>
      Object.fromEntries(
        Object.entries(paths[`/api/v1${path}`]?.[method]?.responses ?? {}).map(
          ([status, { description }]) => [status, description.split(' | ')],
        ),
      );
    const patchItem = codes('/items/{id}', 'patch');
    expect(patchItem['400']).toContain('MALFORMED_JSON');
    expect(patchItem['413']).toEqual(['PAYLOAD_TOO_LARGE']);
    expect(patchItem['415']).toEqual(['UNSUPPORTED_MEDIA_TYPE']);
    expect(patchItem['404']).toContain('NOT_FOUND');
    // A form body that cannot be parsed is a 400 BAD_REQUEST.
    expect(codes('/auth/jwt/login', 'post')['400']).toContain('BAD_REQUEST');
    // No body, no path parameter: neither 415 nor 404.
    const me = codes('/users/me', 'get');
    expect(me['415']).toBeUndefined();
    expect(me['404']).toBeUndefined();
  });
});
