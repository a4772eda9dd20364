import { z } from '@hono/zod-openapi';
import { int32 } from '../../lib/schema-fields';
import { PasswordSchema } from '../users/users.schemas';

const username = z.string().trim().min(1).max(320).openapi({ example: 'jane@example.com' });
const password = z.string().min(1).max(128).openapi({ format: 'password' });

/** The OAuth2 password grant, as Swagger UI's Authorize dialog and FastAPI clients send it. */
export const LoginFormSchema = z
  .object({
    username,
    password,
    grant_type: z.literal('password').optional(),
    scope: z.string().max(255).optional(),
    client_id: z.string().max(255).optional(),
    client_secret: z.string().max(255).optional(),
  })
  .openapi('LoginForm');

/** The same credentials as JSON; `email` is accepted in place of `username`. */
export const LoginJsonSchema = z
  .object({ username: username.optional(), email: username.optional(), password })
  .refine((body) => body.username ?? body.email, {
    message: 'username (or email) is required',
    path: ['username'],
  })
  .openapi('LoginJson');

export const TokenSchema = z
  .object({
    access_token: z.string().max(2048),
    token_type: z.literal('bearer'),
    expires_in: int32().openapi({ example: 900 }),
    refresh_token: z.string().max(512),
  })
  .openapi('Token');

export const RefreshSchema = z
  .object({ refresh_token: z.string().min(1).max(512) })
  .openapi('RefreshRequest');

export const EmailRequestSchema = z
  .object({ email: z.string().trim().max(320).pipe(z.email()) })
  .openapi('EmailRequest');

export const VerifySchema = z
  .object({ token: z.string().min(1).max(512) })
  .openapi('VerifyRequest');

export const ResetPasswordSchema = z
  .object({ token: z.string().min(1).max(512), password: PasswordSchema })
  .openapi('ResetPasswordRequest');

export const AcceptedSchema = z.object({ detail: z.string().max(255) }).openapi('Accepted', {
  example: { detail: 'If the address has an account, an e-mail is on its way.' },
});
