import { z } from '@hono/zod-openapi';
import { pageOf } from '../../lib/pagination';
import { MAX_IP_LENGTH, MAX_USER_AGENT_LENGTH } from '../../lib/request-meta';
import { int32, timestamp } from '../../lib/schema-fields';

/** FastAPI-Users' password rules (a digit, an upper- and a lowercase letter), each with its own message. */
export const PasswordSchema = z
  .string()
  .min(8, 'Password must be at least 8 characters')
  .max(128, 'Password must be at most 128 characters')
  .regex(/\d/, 'Password must contain at least one digit')
  .regex(/[A-Z]/, 'Password must contain at least one uppercase letter')
  .regex(/[a-z]/, 'Password must contain at least one lowercase letter')
  .openapi({ format: 'password', example: 'Str0ngPassword' });

/** E-mail addresses are trimmed and lowercased on the way in. */
const EmailSchema = z
  .string()
  .trim()
  .max(320)
  .pipe(z.email())
  .transform((email) => email.toLowerCase())
  .openapi({ type: 'string', format: 'email', maxLength: 320, example: 'jane@example.com' });

const name = z.string().trim().min(2).max(50);
/** Only `https:` links: the address is shown to other users' browsers. */
const avatarUrl = z
  .url({ protocol: /^https$/ })
  .max(255)
  .nullable()
  .optional();
const phone = z
  .string()
  .max(20)
  .regex(/^\+?1?\d{9,15}$/, 'Phone must be 9 to 15 digits, optionally with +');

export const UserReadSchema = z
  .object({
    id: int32(1),
    email: z.email().max(320),
    is_active: z.boolean(),
    is_superuser: z.boolean(),
    is_verified: z.boolean(),
    first_name: z.string().max(50).nullable(),
    last_name: z.string().max(50).nullable(),
    phone: z.string().max(20).nullable(),
    avatar_url: z.url().max(255).nullable(),
    created_at: timestamp(),
    updated_at: timestamp(),
    last_login: timestamp().nullable(),
  })
  .openapi('UserRead');

export type UserRead = z.infer<typeof UserReadSchema>;

/** Registration. Privilege fields a client may send (`is_superuser`…) are ignored, as FastAPI-Users does. */
export const UserCreateSchema = z
  .object({
    email: EmailSchema,
    password: PasswordSchema,
    first_name: name.openapi({ example: 'Jane' }),
    last_name: name.openapi({ example: 'Doe' }),
    phone: phone.optional(),
  })
  .openapi('UserCreate');

/**
 * A user's own changes. Strict: sending `is_superuser`, `is_active`, `is_verified` or any
 * other unknown field is a 422 and changes nothing.
 */
export const UserUpdateSchema = z
  .strictObject({
    email: EmailSchema.optional(),
    password: PasswordSchema.optional(),
    current_password: z.string().max(128).optional(),
    first_name: name.optional(),
    last_name: name.optional(),
    phone: phone.nullable().optional(),
    avatar_url: avatarUrl,
  })
  .refine((body) => body.password === undefined || body.current_password !== undefined, {
    message: 'current_password is required to change the password',
    path: ['current_password'],
  })
  .openapi('UserUpdate');

export type UserUpdate = z.infer<typeof UserUpdateSchema>;

/** A superuser's changes to any account. */
export const AdminUserUpdateSchema = z
  .strictObject({
    email: EmailSchema.optional(),
    password: PasswordSchema.optional(),
    first_name: name.optional(),
    last_name: name.optional(),
    phone: phone.nullable().optional(),
    avatar_url: avatarUrl,
    is_active: z.boolean().optional(),
    is_superuser: z.boolean().optional(),
    is_verified: z.boolean().optional(),
  })
  .openapi('AdminUserUpdate');

export type AdminUserUpdate = z.infer<typeof AdminUserUpdateSchema>;

export const UserPageSchema = pageOf(UserReadSchema).openapi('UserPage');

/** A signed-in device: one refresh-token family, whose id stays the same across rotations. */
export const SessionReadSchema = z
  .object({
    id: z.uuid().max(36),
    created_at: timestamp(),
    last_used_at: timestamp(),
    expires_at: timestamp(),
    user_agent: z.string().max(MAX_USER_AGENT_LENGTH).nullable(),
    ip: z.string().max(MAX_IP_LENGTH).nullable(),
    current: z.boolean(),
  })
  .openapi('Session');

export const SessionIdParamSchema = z.object({
  id: z
    .uuid()
    .max(36)
    .openapi({ param: { name: 'id', in: 'path' } }),
});
