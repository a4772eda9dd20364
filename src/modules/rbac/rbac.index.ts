import { createRouter } from '../../lib/openapi';
import { noStore } from '../../middleware/security';
import { defineModule } from '../module';
import { rbacErrors } from './rbac.errors';
import * as handlers from './rbac.handlers';
import * as routes from './rbac.routes';

const router = createRouter();
router.use('/rbac/*', noStore());

/** Roles and permissions: the signed-in user's access, and their administration. */
export const rbacModule = defineModule({
  name: 'rbac',
  description: 'Roles and permissions: who may do what',
  router: router
    .openapi(routes.getMyAccess, handlers.getMyAccess)
    .openapi(routes.listRoles, handlers.listRoles)
    .openapi(routes.createRole, handlers.createRole)
    .openapi(routes.deleteRole, handlers.deleteRole)
    .openapi(routes.addRolePermission, handlers.addRolePermission)
    .openapi(routes.removeRolePermission, handlers.removeRolePermission)
    .openapi(routes.getUserRoles, handlers.getUserRoles)
    .openapi(routes.addUserRole, handlers.addUserRole)
    .openapi(routes.removeUserRole, handlers.removeUserRole),
  errors: rbacErrors,
});
