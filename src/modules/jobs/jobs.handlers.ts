import type { Context, Handler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ZodError } from 'zod';
import type { AppEnv } from '../../context';
import { AppError, toProblem } from '../../lib/errors';
import { fieldErrors } from '../../lib/openapi';
import { signatureId, verifyDelivery } from '../../platform/qstash';
import * as routes from './jobs.routes';
import { NonRetryableError, publicUrl, runDelivery } from './jobs.service';

/** A problem QStash must not retry: 489 plus `Upstash-NonRetryable-Error: true`. */
function nonRetryable(c: Context<AppEnv>, error: AppError) {
  const status = routes.NON_RETRYABLE_STATUS;
  const problem = { ...toProblem(error, c.req.path, c.get('requestId')), status };
  return c.body(JSON.stringify(problem), status as ContentfulStatusCode, {
    'Content-Type': 'application/problem+json',
    'Upstash-NonRetryable-Error': 'true',
  });
}

/**
 * `POST /jobs/{task}`. A plain handler rather than an OpenAPI-validated one: the signature covers
 * the raw body, so nothing may parse it first, and 489 is not a status Hono's types know.
 */
export const run: Handler<AppEnv, '/jobs/:task'> = async (c) => {
  const settings = c.get('settings');
  const body = await c.req.text();
  // The URL QStash was given and signed: our public one, whatever host the request arrived on.
  const url = publicUrl(settings, c.req.path + new URL(c.req.url).search);
  const signature = c.req.header('Upstash-Signature');
  if (!(await verifyDelivery(settings, { signature, body, url }))) {
    throw new AppError('JOB_SIGNATURE_INVALID', {
      detail: signature
        ? `The signature is not valid for ${url} and this body`
        : 'No Upstash-Signature',
    });
  }
  const messageId = c.req.header('Upstash-Message-Id');
  if (!messageId) throw new AppError('BAD_REQUEST', { detail: 'No Upstash-Message-Id header' });
  const task = c.req.param('task');
  const retried = Number.parseInt(c.req.header('Upstash-Retried') ?? '0', 10) || 0;

  let result: Awaited<ReturnType<typeof runDelivery>>;
  try {
    result = await runDelivery(c.var, {
      task,
      body,
      messageId,
      retried,
      signatureId: signatureId(signature ?? ''),
    });
  } catch (error) {
    if (!(error instanceof NonRetryableError)) throw error;
    c.get('logger').error('job failed for good', {
      task,
      message_id: messageId,
      error: error.message,
    });
    return nonRetryable(c, new AppError('BAD_REQUEST', { detail: error.message, cause: error }));
  }
  switch (result.outcome) {
    case 'unknown_task':
      // Retryable on purpose: during a deploy, an older version may not know a new task yet.
      throw new AppError('NOT_FOUND', { detail: `No task named ${task}` });
    case 'invalid_payload':
      return nonRetryable(
        c,
        result.error instanceof ZodError
          ? new AppError('VALIDATION_ERROR', {
              detail: `The payload does not match the ${task} schema`,
              errors: fieldErrors(result.error, 'json'),
            })
          : new AppError('MALFORMED_JSON', { detail: result.error.message }),
      );
    case 'in_progress':
      throw new AppError('JOB_IN_PROGRESS', { headers: { 'Retry-After': '30' } });
    default:
      return c.json({ status: result.outcome, message_id: messageId }, 200);
  }
};
