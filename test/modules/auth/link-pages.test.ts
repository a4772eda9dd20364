import { describe, expect, it } from 'vitest';
import { LINK_PATHS } from '../../../src/modules/auth/auth.one-time-tokens';
import wranglerToml from '../../../wrangler.toml?raw';
import { API, call, callWith, readProblem } from '../../helpers/worker';

/** An API origin of this file's own. */
const BASE = 'http://link-pages.localhost:8787';

describe('the pages the e-mail links lead to (issue 17)', () => {
  it('serves every link page from the static assets, under a CSP that allows only its own files', async () => {
    expect(LINK_PATHS).toEqual(['/verify', '/reset-password', '/report-email-change']);
    for (const path of LINK_PATHS) {
      const response = await call(`${path}?token=abc`);
      expect(response.status).toBe(200);
      expect(response.headers.get('Content-Type')).toMatch(/^text\/html; charset=utf-8$/i);
      const csp = response.headers.get('Content-Security-Policy') ?? '';
      expect(csp).toContain("script-src 'self';");
      expect(csp).toContain("connect-src 'self';");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(response.headers.get('Referrer-Policy')).toBe('no-referrer');
      expect(response.headers.get('Cache-Control')).toBe('no-store');
      const html = await response.text();
      expect(html).toContain(`data-page="${path.slice(1)}"`);
      expect(html).toContain(`data-api="${API}"`);
      expect(html).toContain('<script src="/account/account.js" defer></script>');
      expect(html).not.toMatch(/<script>|<style>|\son\w+=|https?:\/\//);
    }
  });

  it('tells the page where the API is and names the project, from the settings', async () => {
    const response = await callWith(
      { API_V1_PREFIX: '/v2', PROJECT_NAME: 'Nimbus <Co>' },
      '/verify',
    );
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('data-api="/v2"');
    expect(html).toContain('data-project>Nimbus &lt;Co&gt;</p>');
  });

  it('serves them when FRONTEND_URL is the root of the API origin, not when it is a separate front end', async () => {
    const served = await callWith(
      { PUBLIC_BASE_URL: BASE, FRONTEND_URL: `${BASE}/` },
      '/reset-password',
    );
    expect(served.status).toBe(200);
    for (const frontEnd of ['https://app.example.com', `${BASE}/app`]) {
      const response = await callWith(
        { PUBLIC_BASE_URL: BASE, FRONTEND_URL: frontEnd },
        '/verify?token=abc',
      );
      expect(response.status).toBe(404);
      expect(await readProblem(response)).toMatchObject({
        code: 'NOT_FOUND',
        detail: 'No route for GET /verify',
      });
    }
  });

  it('lists each link page in run_worker_first, so the Worker and not the asset server decides', () => {
    const runWorkerFirst = /^run_worker_first = (\[.*\])$/m.exec(wranglerToml)?.[1];
    expect(JSON.parse(runWorkerFirst ?? '[]')).toEqual(['/api/*', ...LINK_PATHS]);
  });
});
