import { AppError } from '../../lib/errors';
import type { AppRouteHandler } from '../../lib/openapi';
import { requestMeta } from '../../lib/request-meta';
import { setAuthCookie } from '../auth/auth.cookies';
import * as oauthProviders from './oauth.providers';
import type * as routes from './oauth.routes';
import * as oauthService from './oauth.service';
import { frontendRedirect, resolveNext, setStateCookie, takeStateCookie } from './oauth.state';

export const authorize: AppRouteHandler<typeof routes.authorize> = (c) => {
  const settings = c.get('settings');
  const { provider } = c.req.valid('param');
  const { mode, next, redirect } = c.req.valid('query');
  oauthProviders.assertConfigured(settings, provider);
  const target = next === undefined ? null : resolveNext(settings, next);
  const { url, state, codeVerifier } = oauthProviders.createAuthorization(settings, provider);
  setStateCookie(c, settings, provider, { state, code_verifier: codeVerifier, next: target, mode });
  if (redirect) return c.redirect(url.href, 302);
  return c.json({ authorization_url: url.href }, 200);
};

export const callback: AppRouteHandler<typeof routes.callback> = async (c) => {
  const settings = c.get('settings');
  const { provider } = c.req.valid('param');
  oauthProviders.assertConfigured(settings, provider);
  const stored = takeStateCookie(c, settings, provider);
  try {
    const tokens = await oauthService.callback(
      c.var,
      provider,
      stored,
      c.req.valid('query'),
      requestMeta(c),
    );
    if (stored?.mode !== 'cookie') return c.json(tokens, 200);
    setAuthCookie(c, settings, tokens.access_token);
    return c.redirect(frontendRedirect(settings, stored.next), 302);
  } catch (error) {
    // A browser in cookie mode goes back to the front end, which shows the code.
    if (stored?.mode === 'cookie' && error instanceof AppError) {
      if (error.status >= 500)
        c.get('logger').warn('social login failed', { code: error.code, provider });
      return c.redirect(frontendRedirect(settings, stored.next, error.code), 302);
    }
    throw error;
  }
};

export const listAccounts: AppRouteHandler<typeof routes.listAccounts> = async (c) => {
  return c.json(await oauthService.listAccounts(c.get('db'), c.get('user').id), 200);
};

export const unlinkAccount: AppRouteHandler<typeof routes.unlinkAccount> = async (c) => {
  const { provider } = c.req.valid('param');
  await oauthService.unlink(c.get('db'), c.get('user').id, provider, requestMeta(c));
  return c.body(null, 204);
};
