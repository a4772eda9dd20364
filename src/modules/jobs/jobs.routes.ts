import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, jsonContent, ProblemSchema } from '../../lib/openapi';

/** QStash's status for "do not retry": with `Upstash-NonRetryable-Error: true` it goes to the DLQ. */
export const NON_RETRYABLE_STATUS = 489;

/** The OpenAPI security scheme of QStash deliveries. */
export const QSTASH_SIGNATURE = 'QStashSignature';

const JobResultSchema = z
  .object({
    status: z.enum(['done', 'duplicate']).openapi({
      description: '`duplicate`: a redelivery of a message already done; nothing ran again',
    }),
    message_id: z
      .string()
      .max(255)
      .openapi({ example: 'msg_26hZCxZCuWyyTWPmSVBrNC1RADwpgWxPcak2rQD51EMjFMuzcW7qYXpPiDyw' }),
  })
  .openapi('JobResult');

export const run = createRoute({
  method: 'post',
  path: '/jobs/{task}',
  operationId: 'jobs.run',
  tags: ['jobs'],
  summary: 'Run a queued task (QStash deliveries only)',
  description:
    'Called by QStash, never by clients: the `Upstash-Signature` JWT must be valid for this exact URL ' +
    '(under `PUBLIC_BASE_URL`) and the raw body, or the answer is 401 and nothing runs. Each message ' +
    'runs once however often it is redelivered (by `Upstash-Message-Id`). A failing task answers 5xx ' +
    `so QStash retries it; an invalid payload answers ${NON_RETRYABLE_STATUS} with ` +
    '`Upstash-NonRetryable-Error: true`, which sends the message straight to the DLQ. Tasks: ' +
    '`send_email`, `cleanup_expired_tokens`, `purge_soft_deleted`.',
  security: [{ [QSTASH_SIGNATURE]: [] }],
  request: {
    params: z.object({ task: z.string().max(100).openapi({ example: 'send_email' }) }),
    body: {
      description: "The task's payload (validated after the signature, by the task's schema)",
      required: true,
      // A plain schema, not zod: the handler must read the raw body to check its signature.
      content: { 'application/json': { schema: { type: 'object' } } },
    },
  },
  responses: {
    200: jsonContent(JobResultSchema, 'The task ran, or had already run for this message'),
    ...errorResponses('BAD_REQUEST', 'JOB_SIGNATURE_INVALID', 'NOT_FOUND', 'JOB_IN_PROGRESS'),
    [NON_RETRYABLE_STATUS]: {
      description: 'Invalid payload, or a task failure retrying cannot fix: QStash does not retry',
      headers: { 'Upstash-NonRetryable-Error': { schema: { type: 'string', enum: ['true'] } } },
      content: { 'application/problem+json': { schema: ProblemSchema } },
    },
  },
});
