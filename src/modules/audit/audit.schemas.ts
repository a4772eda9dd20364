import { z } from '@hono/zod-openapi';
import { listPageOf, listQuerySchema } from '../../lib/list-query';
import { decimalInteger } from '../../lib/pagination';
import { MAX_IP_LENGTH, MAX_USER_AGENT_LENGTH } from '../../lib/request-meta';
import { int32, TIMESTAMP_LENGTH } from '../../lib/schema-fields';
import { AUDIT_EVENTS } from './audit.service';

const userId = (description: string) =>
  decimalInteger(int32(1)).optional().openapi({ description });

const AuditEventReadSchema = z
  .object({
    id: int32(1),
    event: z.string().max(100).openapi({ example: 'login_succeeded' }),
    user_id: int32(1).nullable().openapi({ description: 'The account the event is about' }),
    actor_id: int32(1)
      .nullable()
      .openapi({ description: 'The admin who acted, when not the user themself' }),
    ip: z.string().max(MAX_IP_LENGTH).nullable(),
    user_agent: z.string().max(MAX_USER_AGENT_LENGTH).nullable(),
    request_id: z.string().max(255).nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
    created_at: z.iso.datetime({ offset: true }).max(TIMESTAMP_LENGTH),
  })
  .openapi('AuditEvent');

export const AuditPageSchema = listPageOf(AuditEventReadSchema).openapi('AuditPage');

export const AuditListQuerySchema = listQuerySchema(['created_at'], '-created_at')
  .omit({ q: true, include_deleted: true })
  .extend({
    actor_id: userId('Who acted: the admin, or the user themself for events no admin made'),
    user_id: userId('The account the events are about'),
    event: z.enum(AUDIT_EVENTS).optional(),
  });
