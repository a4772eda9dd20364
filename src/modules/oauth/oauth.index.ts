import { createRouter } from '../../lib/openapi';
import { defineModule } from '../module';
import { oauthErrors } from './oauth.errors';
import * as handlers from './oauth.handlers';
import * as routes from './oauth.routes';

/** Social login with Google and GitHub, and the signed-in user's provider links. */
export const oauthModule = defineModule({
  name: 'oauth',
  description:
    'Social login with Google and GitHub, and the social accounts linked to the current user',
  router: createRouter()
    .openapi(routes.authorize, handlers.authorize)
    .openapi(routes.callback, handlers.callback)
    .openapi(routes.listAccounts, handlers.listAccounts)
    .openapi(routes.unlinkAccount, handlers.unlinkAccount),
  errors: oauthErrors,
});
