import { describe, expect, it } from 'vitest';
import { clientIp } from './helpers/users';
import { API, call, callWith, readProblem, securityHeaderViolations } from './helpers/worker';

function expectSecurityHeaders(response: Response) {
  expect(securityHeaderViolations(response.headers)).toEqual([]);
}

describe('errors are problem+json', () => {
  it('answers an unknown route with 404 carrying the request id it echoes', async () => {
    const response = await call(`${API}/no-such-route`);
    expect(response.status).toBe(404);
    const problem = await readProblem(response);
    expect(problem).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
      instance: `${API}/no-such-route`,
      type: 'urn:stratus:problem:not-found',
    });
    expect(problem.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('X-Request-ID')).toBe(problem.request_id);
  });

  it('keeps a valid X-Request-ID sent by the client and replaces an unsafe one', async () => {
    const kept = await call(`${API}/nope`, { headers: { 'X-Request-ID': 'client-id-123' } });
    expect(kept.headers.get('X-Request-ID')).toBe('client-id-123');
    expect((await readProblem(kept)).request_id).toBe('client-id-123');

    const replaced = await call(`${API}/nope`, { headers: { 'X-Request-ID': 'bad id <script>' } });
    expect(replaced.headers.get('X-Request-ID')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers a known path with the wrong method with 405 and Allow', async () => {
    const response = await call(`${API}/health`, { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('Allow')).toBe('GET, HEAD');
    expect((await readProblem(response)).code).toBe('METHOD_NOT_ALLOWED');
  });

  it('refuses a body over MAX_BODY_SIZE with 413 before any handler reads it', async () => {
    const response = await call(`${API}/health`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'CF-Connecting-IP': clientIp() },
      body: JSON.stringify({ padding: 'x'.repeat(1024 * 1024 + 1) }),
    });
    expect(response.status).toBe(413);
    expect((await readProblem(response)).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers malformed JSON with 400 MALFORMED_JSON', async () => {
    const response = await call(`${API}/auth/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'CF-Connecting-IP': clientIp() },
      body: '{"email": "a@example.com",',
    });
    expect(response.status).toBe(400);
    expect((await readProblem(response)).code).toBe('MALFORMED_JSON');
  });

  it('takes a JSON media type without a body as no body: a GET answers, a POST fails its schema (issue 13)', async () => {
    const headers = { 'Content-Type': 'application/json', 'CF-Connecting-IP': clientIp() };
    const read = await call(`${API}/health`, { headers });
    expect(read.status).toBe(200);
    const write = await call(`${API}/auth/register`, { method: 'POST', headers });
    expect(write.status).toBe(422);
    expect(await readProblem(write)).toMatchObject({ code: 'VALIDATION_ERROR' });
  });

  it('answers a body that fails its schema with 422 listing each field', async () => {
    const response = await call(`${API}/auth/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'CF-Connecting-IP': clientIp() },
      body: JSON.stringify({ email: 'not-an-email', password: 'weak', first_name: 'J' }),
    });
    expect(response.status).toBe(422);
    const problem = await readProblem(response);
    expect(problem.code).toBe('VALIDATION_ERROR');
    const paths = problem.errors?.map((error) => error.path) ?? [];
    expect(paths).toEqual(
      expect.arrayContaining(['body.email', 'body.password', 'body.first_name', 'body.last_name']),
    );
  });

  it('answers an unsupported content type with 415', async () => {
    const response = await call(`${API}/auth/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', 'CF-Connecting-IP': clientIp() },
      body: 'hello',
    });
    expect(response.status).toBe(415);
    expect((await readProblem(response)).code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers an unexpected failure with 500 and no stack or secret outside development', async () => {
    const response = await callWith({ SECRET_KEY: 'too-short' }, `${API}/health`);
    expect(response.status).toBe(500);
    const text = await response.text();
    const problem = JSON.parse(text) as { code: string; detail: string };
    expect(problem.code).toBe('INTERNAL_ERROR');
    expect(problem.detail).toBe('Internal server error');
    expect(text).not.toMatch(/too-short|SECRET_KEY|at .*\.ts|stack/);
  });
});

describe('security headers', () => {
  it.each([
    ['a 200', () => call(`${API}/health`)],
    ['a 404', () => call(`${API}/missing`)],
    ['a 405', () => call(`${API}/health`, { method: 'PUT' })],
    ['a 500', () => callWith({ SECRET_KEY: 'too-short' }, `${API}/health`)],
    ['a 401', () => call(`${API}/users/me`)],
    [
      'a 422',
      () =>
        call(`${API}/auth/register`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'CF-Connecting-IP': clientIp() },
          body: '{}',
        }),
    ],
  ])('are on %s', async (_, send) => {
    expectSecurityHeaders(await send());
  });
});

describe('timing and tracing headers', () => {
  it('reports the database round trips of a request in Server-Timing db', async () => {
    const withDatabase = await call(`${API}/health/db`);
    expect(withDatabase.headers.get('Server-Timing')).toMatch(
      /(^|, )db;dur=\d+\.\d;desc="1 round trip"(, |$)/,
    );
    const without = await call(`${API}/health`);
    expect(without.headers.get('Server-Timing')).not.toContain('db;');
  });

  it('reports X-Process-Time and Server-Timing app on every response', async () => {
    const response = await call(`${API}/health`);
    expect(Number(response.headers.get('X-Process-Time'))).toBeGreaterThanOrEqual(0);
    expect(response.headers.get('Server-Timing')).toMatch(/^app;dur=\d+(\.\d)?/);
  });
});

describe('CORS', () => {
  const preflight = (origin: string) =>
    call(`${API}/health`, {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'Content-Type, Authorization',
      },
    });

  it('grants a preflight from an allowed origin, with credentials', async () => {
    const response = await preflight('http://localhost:3000');
    expect(response.status).toBe(204);
    expect(response.headers.get('Access-Control-Allow-Origin')).toBe('http://localhost:3000');
    expect(response.headers.get('Access-Control-Allow-Credentials')).toBe('true');
    expect(response.headers.get('Access-Control-Allow-Methods')).toContain('POST');
  });

  it('gives no CORS grant to another origin', async () => {
    const response = await preflight('https://evil.example');
    // Without Access-Control-Allow-Origin the browser grants nothing, whatever else is sent.
    expect(response.headers.get('Access-Control-Allow-Origin')).toBeNull();
  });

  it('marks simple responses for allowed origins only', async () => {
    const allowed = await call(`${API}/health`, { headers: { Origin: 'https://app.example.com' } });
    expect(allowed.headers.get('Access-Control-Allow-Origin')).toBe('https://app.example.com');
    const other = await call(`${API}/health`, {
      headers: { Origin: 'https://app.example.com.evil' },
    });
    expect(other.headers.get('Access-Control-Allow-Origin')).toBeNull();
  });

  it('exposes the observability and rate-limit headers to an allowed origin', async () => {
    const response = await call(`${API}/health`, { headers: { Origin: 'http://localhost:3000' } });
    const exposed = response.headers.get('Access-Control-Expose-Headers')?.split(',') ?? [];
    expect(exposed).toEqual(expect.arrayContaining(['X-Request-ID', 'RateLimit-Remaining']));
    expect(response.headers.get('Vary')).toBe('Origin');
  });

  it('adds only Vary: Origin to a request that is not cross-origin (no Origin header)', async () => {
    const response = await call(`${API}/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('Vary')).toBe('Origin');
    const cors = [...response.headers.keys()].filter((name) => name.startsWith('access-control-'));
    expect(cors).toEqual([]);
  });
});

describe('docs', () => {
  it('serves Swagger UI from local assets with a CSP that allows only them', async () => {
    const response = await call(`${API}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toContain('text/html');
    const html = await response.text();
    expect(html).toContain('/vendor/swagger-ui/swagger-ui-bundle.js');
    expect(html).toContain(`"${API}/openapi.json"`);
    expect(html).not.toMatch(/https?:\/\/(cdn|unpkg|jsdelivr)/);
    const csp = response.headers.get('Content-Security-Policy') ?? '';
    const nonce = /'nonce-([\w]+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(html).toContain(`nonce="${nonce}"`);
    expect(csp).toContain("frame-ancestors 'none'");
  });

  it('serves ReDoc from local assets', async () => {
    const response = await call(`${API}/redoc`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('/vendor/redoc/redoc.standalone.js');
  });

  it('declares the OAuth2 password flow against the login route, bearer and cookie schemes', async () => {
    const document = (await (await call(`${API}/openapi.json`)).json()) as {
      openapi: string;
      components: { securitySchemes: Record<string, Record<string, unknown>> };
      paths: Record<string, unknown>;
    };
    expect(document.openapi).toBe('3.1.0');
    expect(document.components.securitySchemes.OAuth2PasswordBearer).toMatchObject({
      type: 'oauth2',
      flows: { password: { tokenUrl: `${API}/auth/jwt/login` } },
    });
    expect(document.components.securitySchemes.BearerAuth).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    expect(document.components.securitySchemes.CookieAuth).toMatchObject({
      type: 'apiKey',
      in: 'cookie',
    });
    expect(Object.keys(document.paths)).toContain(`${API}/health/db`);
  });
});
