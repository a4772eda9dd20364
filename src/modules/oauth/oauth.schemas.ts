import { z } from '@hono/zod-openapi';
import { MAX_URL_LENGTH } from '../../lib/errors';
import { timestamp } from '../../lib/schema-fields';
import { OAUTH_PROVIDERS } from '../../platform/db/schema';

export type Provider = (typeof OAUTH_PROVIDERS)[number];

export const ProviderParamSchema = z.object({
  provider: z
    .enum(OAUTH_PROVIDERS)
    .openapi({ param: { name: 'provider', in: 'path' }, example: 'google' }),
});

export const AuthorizeQuerySchema = z.object({
  mode: z.enum(['bearer', 'cookie']).default('bearer').openapi({
    description:
      '`bearer`: the callback answers with the token pair (JSON). `cookie`: it sets the auth cookie and redirects to `FRONTEND_URL` (plus `next`).',
  }),
  next: z.string().min(1).max(2048).optional().openapi({
    description:
      'Where the front end goes after a cookie-mode login: a path (or URL) under `FRONTEND_URL`; anything else is refused.',
    example: '/dashboard',
  }),
  redirect: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true')
    .openapi({ description: '`true`: answer 302 to the provider instead of JSON.' }),
});

export const AuthorizationUrlSchema = z
  .object({
    authorization_url: z.url().max(MAX_URL_LENGTH).openapi({
      example: 'https://accounts.google.com/o/oauth2/v2/auth?response_type=code&client_id=stratus',
    }),
  })
  .openapi('OAuthAuthorizationUrl');

/** What the provider sends back to the callback; other parameters (Google's `scope`…) are ignored. */
export const CallbackQuerySchema = z.object({
  code: z.string().min(1).max(2048).optional(),
  state: z.string().min(1).max(512).optional(),
  error: z.string().min(1).max(256).optional(),
  error_description: z.string().max(1024).optional(),
});

export type CallbackQuery = z.infer<typeof CallbackQuerySchema>;

export const OAuthAccountReadSchema = z
  .object({
    provider: z.enum(OAUTH_PROVIDERS),
    account_id: z.string().max(255).openapi({ description: "The user's id at the provider" }),
    account_email: z
      .email()
      .max(320)
      .openapi({ description: 'The address the provider last reported' }),
    created_at: timestamp(),
    updated_at: timestamp(),
  })
  .openapi('OAuthAccountRead');

export type OAuthAccountRead = z.infer<typeof OAuthAccountReadSchema>;
