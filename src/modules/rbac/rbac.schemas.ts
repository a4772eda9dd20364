import { z } from '@hono/zod-openapi';
import { IdParamSchema } from '../../lib/pagination';
import { int32 } from '../../lib/schema-fields';

/** Role, resource and action names: lowercase words, so `user:<id>` subjects never collide. */
const word = (example: string) =>
  z
    .string()
    .max(50)
    .regex(/^[a-z][a-z0-9_-]{0,49}$/, 'Must be lowercase letters, digits, _ or -, up to 50')
    .openapi({ example });

const PermissionSchema = z
  .object({ resource: word('posts'), action: word('create') })
  .openapi('Permission');

export const RoleSchema = z
  .object({ name: word('editor'), permissions: z.array(PermissionSchema) })
  .openapi('Role');

export const RoleCreateSchema = z
  .object({ name: word('reviewer'), permissions: z.array(PermissionSchema).min(1).max(100) })
  .openapi('RoleCreate');

export const UserRolesSchema = z
  .object({ user_id: int32(1), roles: z.array(z.string().max(50)) })
  .openapi('UserRoles');

export const MyAccessSchema = z
  .object({
    roles: z
      .array(z.string().max(50))
      .openapi({ description: 'Held directly or through nested roles' }),
    permissions: z.array(PermissionSchema),
    is_superuser: z.boolean().openapi({ description: 'Superusers pass every permission check' }),
  })
  .openapi('MyAccess');

export const RoleParamSchema = z.object({
  role: word('editor').openapi({ param: { name: 'role', in: 'path' } }),
});

export const UserRoleParamSchema = IdParamSchema.extend(RoleParamSchema.shape);

export const RolePermissionParamSchema = RoleParamSchema.extend({
  resource: word('posts').openapi({ param: { name: 'resource', in: 'path' } }),
  action: word('create').openapi({ param: { name: 'action', in: 'path' } }),
});

export type Permission = z.infer<typeof PermissionSchema>;
export type Role = z.infer<typeof RoleSchema>;
