import { type Codes, defineErrors } from '../../lib/errors';

/** Account changes, with FastAPI-Users' codes. */
export const usersErrors = defineErrors({
  UPDATE_USER_EMAIL_ALREADY_EXISTS: {
    status: 400,
    title: 'A user with this e-mail already exists',
  },
  UPDATE_USER_BAD_CURRENT_PASSWORD: { status: 400, title: 'The current password is wrong' },
});

declare module '../../lib/errors' {
  interface ErrorCatalogue extends Codes<typeof usersErrors> {}
}
