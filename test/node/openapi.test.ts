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
});
