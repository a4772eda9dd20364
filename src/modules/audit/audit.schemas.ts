import { z } from '@hono/zod-openapi';
import { listPageOf, listQuerySchema } from '../../lib/list-query';
import { decimalInteger } from '../../lib/pagination';
import { MAX_INT4 } from '../../lib/schema-fields';
import { AUDIT_EVENTS } from './audit.service';

const userId = (description: string) =>
  decimalInteger(z.number().int().positive().max(MAX_INT4))
    .optional()
    .openapi({ type: 'integer', description });

const AuditEventReadSchema = z
  .object({
    id: z.number().int(),
    event: z.string().openapi({ example: 'login_succeeded' }),
    user_id: z.number().int().nullable().openapi({ description: 'The account the event is about' }),
    actor_id: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'The admin who acted, when not the user themself' }),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    request_id: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
    created_at: z.iso.datetime({ offset: true }),
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
