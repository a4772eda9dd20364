import { resolveListQuery } from '../../lib/list-query';
import type { AppRouteHandler } from '../../lib/openapi';
import type * as routes from './audit.routes';
import * as auditService from './audit.service';

export const listAuditEvents: AppRouteHandler<typeof routes.listAuditEvents> = async (c) => {
  const { actor_id, user_id, event, ...page } = c.req.valid('query');
  const settings = c.get('settings');
  const query = resolveListQuery(settings, { ...page, include_deleted: false });
  const events = await auditService.listEvents(
    { db: c.get('db'), secret: settings.SECRET_KEY },
    { actorId: actor_id, userId: user_id, event },
    query,
  );
  return c.json(events, 200);
};
