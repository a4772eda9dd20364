import { type Codes, defineErrors } from '../../lib/errors';

/** Identity errors, with FastAPI-Users' codes so clients written against it work unchanged. */
export const authErrors = defineErrors({
  REGISTER_USER_ALREADY_EXISTS: { status: 400, title: 'A user with this e-mail already exists' },
  LOGIN_BAD_CREDENTIALS: { status: 400, title: 'Wrong e-mail or password' },
  LOGIN_USER_NOT_VERIFIED: { status: 400, title: 'The e-mail address is not verified yet' },
  VERIFY_USER_BAD_TOKEN: { status: 400, title: 'Invalid or expired verification token' },
  RESET_PASSWORD_BAD_TOKEN: { status: 400, title: 'Invalid or expired reset token' },
  REFRESH_TOKEN_INVALID: { status: 401, title: 'Invalid, expired or reused refresh token' },
});

declare module '../../lib/errors' {
  interface ErrorCatalogue extends Codes<typeof authErrors> {}
}
