import { createRouter } from '../../lib/openapi';
import { noStore } from '../../middleware/security';
import { defineModule } from '../module';
import { authErrors } from './auth.errors';
import * as handlers from './auth.handlers';
import * as routes from './auth.routes';
import { authTasks } from './auth.tasks';

const router = createRouter();
router.use('/auth/*', noStore());

/** Registration, login (bearer and cookie), refresh, logout, verification and password reset. */
export const authModule = defineModule({
  name: 'auth',
  description:
    'Registration, login (bearer tokens or a cookie), refresh, logout, e-mail verification and password reset',
  router: router
    .openapi(routes.register, handlers.register)
    .openapi(routes.jwtLogin, handlers.jwtLogin)
    .openapi(routes.jwtRefresh, handlers.jwtRefresh)
    .openapi(routes.jwtLogout, handlers.jwtLogout)
    .openapi(routes.cookieLogin, handlers.cookieLogin)
    .openapi(routes.cookieLogout, handlers.cookieLogout)
    .openapi(routes.requestVerifyToken, handlers.requestVerifyToken)
    .openapi(routes.verify, handlers.verify)
    .openapi(routes.forgotPassword, handlers.forgotPassword)
    .openapi(routes.resetPassword, handlers.resetPassword)
    .openapi(routes.reportEmailChange, handlers.reportEmailChange),
  errors: authErrors,
  tasks: authTasks,
  // Hourly.
  crons: { '0 * * * *': ['cleanup_expired_tokens'] },
});
