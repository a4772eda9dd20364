import { describe, expect, it } from 'vitest';
import { parseSettings } from '../src/settings';

const valid = {
  APP_ENV: 'development',
  SECRET_KEY: 'a-secret-that-is-long-enough-for-hs256-0123',
  DATABASE_URL: 'postgresql://user:pass@db.example.com/app',
};

describe('settings', () => {
  it('applies the documented defaults', () => {
    const settings = parseSettings(valid);
    expect(settings).toMatchObject({
      API_V1_PREFIX: '/api/v1',
      ACCESS_TOKEN_EXPIRE_MINUTES: 15,
      DEFAULT_PAGE_SIZE: 20,
      MAX_PAGE_SIZE: 100,
      BACKEND_CORS_ORIGINS: [],
    });
  });

  it('parses numbers and the comma list of CORS origins', () => {
    const settings = parseSettings({
      ...valid,
      ACCESS_TOKEN_EXPIRE_MINUTES: '5',
      BACKEND_CORS_ORIGINS: 'https://a.example, https://b.example/',
    });
    expect(settings.ACCESS_TOKEN_EXPIRE_MINUTES).toBe(5);
    expect(settings.BACKEND_CORS_ORIGINS).toEqual(['https://a.example', 'https://b.example']);
  });

  it('requires the encryption key when provider tokens are to be stored (issue 12)', () => {
    expect(() => parseSettings({ ...valid, OAUTH_STORE_TOKENS: 'true' })).toThrow(
      /OAUTH_TOKEN_ENCRYPTION_KEY/,
    );
    const settings = parseSettings(valid);
    expect(settings).toMatchObject({
      OAUTH_LINK_VERIFIED_EMAILS: true,
      OAUTH_PROVIDER_TIMEOUT_MS: 10_000,
      OAUTH_STORE_TOKENS: false,
    });
  });

  it('caps MAX_PAGE_SIZE at the bound the OpenAPI document gives every page (issue 17)', () => {
    expect(parseSettings({ ...valid, MAX_PAGE_SIZE: '1000' }).MAX_PAGE_SIZE).toBe(1000);
    expect(() => parseSettings({ ...valid, MAX_PAGE_SIZE: '1001' })).toThrow(/MAX_PAGE_SIZE/);
  });

  it('names a missing variable', () => {
    expect(() => parseSettings({ ...valid, DATABASE_URL: undefined })).toThrow(/DATABASE_URL/);
  });

  it('names an invalid secret without echoing its value', () => {
    const error = (() => {
      try {
        parseSettings({ ...valid, SECRET_KEY: 'hunter2-too-short' });
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error?.message).toMatch(/SECRET_KEY/);
    expect(error?.message).not.toContain('hunter2');
  });

  it('refuses placeholder secrets in production and names them', () => {
    expect(() =>
      parseSettings({
        ...valid,
        APP_ENV: 'production',
        SECRET_KEY: 'dev-only-secret-key-change-me-0123456789abcdef',
      }),
    ).toThrow(/production: SECRET_KEY/);
  });

  it('requires Redis and QStash in production, naming what is missing', () => {
    expect(() => parseSettings({ ...valid, APP_ENV: 'production' })).toThrow(
      /production: UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN, QSTASH_URL/,
    );
  });

  it('accepts a complete production configuration', () => {
    const production = {
      ...valid,
      APP_ENV: 'production',
      UPSTASH_REDIS_REST_URL: 'https://eu1-example.upstash.io',
      UPSTASH_REDIS_REST_TOKEN: 'AX1yZmFrZS10b2tlbi1mb3ItdGVzdHM',
      QSTASH_URL: 'https://qstash.upstash.io',
      QSTASH_TOKEN: 'eyJVc2VySUQiOiJmYWtlIn0',
      QSTASH_CURRENT_SIGNING_KEY: 'sig_5ZB6DVzB1wjE8S6rZ7eenA8Pdnhs',
      QSTASH_NEXT_SIGNING_KEY: 'sig_7RvLjqfZBvP5KEUimQCE1pvpLuou',
    };
    expect(parseSettings(production).APP_ENV).toBe('production');
  });
});
