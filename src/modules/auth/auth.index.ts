import { createRouter } from '../../lib/openapi';
import { noStore } from '../../middleware/security';
import * as handlers from './auth.handlers';
import * as routes from './auth.routes';

export const authRouter = createRouter();
authRouter.use('/auth/*', noStore());
authRouter
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
  .openapi(routes.reportEmailChange, handlers.reportEmailChange);
