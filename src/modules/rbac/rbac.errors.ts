import { type Codes, defineErrors } from '../../lib/errors';

/** Changes the RBAC admin API refuses. */
export const rbacErrors = defineErrors({
  RBAC_LAST_ADMIN: { status: 409, title: 'The last admin cannot lose the admin role' },
  RBAC_ROLE_EXISTS: { status: 409, title: 'A role with this name already exists' },
  RBAC_ROLE_PROTECTED: { status: 409, title: 'The admin role cannot be deleted' },
  RBAC_ROLE_LAST_PERMISSION: {
    status: 409,
    title: 'A role keeps at least one permission; delete the role instead',
  },
});

declare module '../../lib/errors' {
  interface ErrorCatalogue extends Codes<typeof rbacErrors> {}
}
