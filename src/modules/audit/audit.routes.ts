import { jsonContent, superuserRoute } from '../../lib/openapi';
import { AuditListQuerySchema, AuditPageSchema } from './audit.schemas';

export const listAuditEvents = superuserRoute({
  method: 'get',
  path: '/audit',
  operationId: 'audit.list',
  tags: ['audit'],
  summary: 'The audit log (superuser)',
  description:
    'Security events (logins, password and e-mail changes, sessions, admin actions), newest first. ' +
    'Filter by `actor_id`, `user_id`, `event` and `created_after` / `created_before`; offset paging with `skip`, or cursor paging with `cursor`.',
  request: { query: AuditListQuerySchema },
  responses: {
    200: jsonContent(AuditPageSchema, 'A page of audit events'),
  },
});
