import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../context';
import { frontendUrl, type Settings } from '../../settings';
import { LINK_PATHS } from './auth.one-time-tokens';

/** The pages run their own script and style and call the API on their origin; nothing else. */
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Whether the links in e-mails lead to this Worker: `FRONTEND_URL` is unset or is the root of
 * `PUBLIC_BASE_URL`'s origin. A separate front end (another origin, or a path on this one)
 * serves its own pages, and the Worker none.
 */
function linksLeadToWorker(settings: Settings): boolean {
  const base = frontendUrl(settings);
  return base.origin === new URL(settings.PUBLIC_BASE_URL).origin && base.pathname === '/';
}

/**
 * Adds `GET` for each page the e-mail links lead to (`/verify`, `/reset-password`,
 * `/report-email-change`), served from the static assets (`public/verify.html` …) when the
 * links lead to this Worker; otherwise these paths are a 404 like any unknown one. Their path
 * is in `run_worker_first` (wrangler.toml) so that the Worker, not the asset server, decides.
 */
export function registerLinkPages(app: OpenAPIHono<AppEnv>, prefix: string) {
  for (const path of LINK_PATHS) {
    app.get(path, async (c) => {
      const settings = c.get('settings');
      if (!linksLeadToWorker(settings)) return c.notFound();
      const asset = await c.env.ASSETS.fetch(new URL(path, c.req.url));
      if (!asset.ok) throw new Error(`The static page for ${path} answered ${asset.status}`);
      // The page learns where the API is, and names the project, from the Worker's settings.
      const page = new HTMLRewriter()
        .on('html', { element: (element) => void element.setAttribute('data-api', prefix) })
        .on('[data-project]', {
          element: (element) => void element.setInnerContent(settings.PROJECT_NAME),
        })
        .transform(asset);
      return c.html(await page.text(), 200, {
        'Content-Security-Policy': PAGE_CSP,
        // The URL carries the token: nothing stores the page under it.
        'Cache-Control': 'no-store',
      });
    });
  }
}
