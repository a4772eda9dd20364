import { createRouter } from '../../lib/openapi';
import { noStore } from '../../middleware/security';
import { defineModule } from '../module';
import * as handlers from './audit.handlers';
import * as routes from './audit.routes';

const router = createRouter();
router.use('/audit', noStore());

/** The audit log for superusers; every module writes to it through `auditInsert` / `auditFrom`. */
export const auditModule = defineModule({
  name: 'audit',
  description: 'Superusers read the audit trail: who did what to whom, and when',
  router: router.openapi(routes.listAuditEvents, handlers.listAuditEvents),
});
