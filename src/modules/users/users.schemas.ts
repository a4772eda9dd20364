import { z } from '@hono/zod-openapi';
import { pageOf } from '../../lib/pagination';

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
  .openapi({ type: 'string', format: 'email', example: 'jane@example.com' });

const name = z.string().trim().min(2).max(50);
/** Only `https:` links: the address is shown to other users' browsers. */
const avatarUrl = z
  .url({ protocol: /^https$/ })
  .max(255)
  .nullable()
  .optional();
const phone = z
  .string()
  .regex(/^\+?1?\d{9,15}$/, 'Phone must be 9 to 15 digits, optionally with +');

export const UserReadSchema = z
  .object({
    id: z.number().int(),
    email: z.string(),
    is_active: z.boolean(),
    is_superuser: z.boolean(),
    is_verified: z.boolean(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    phone: z.string().nullable(),
    avatar_url: z.string().nullable(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
    last_login: z.iso.datetime().nullable(),
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
    id: z.uuid(),
    created_at: z.iso.datetime(),
    last_used_at: z.iso.datetime(),
    expires_at: z.iso.datetime(),
    user_agent: z.string().nullable(),
    ip: z.string().nullable(),
    current: z.boolean(),
  })
  .openapi('Session');

export const SessionIdParamSchema = z.object({
  id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }),
});
