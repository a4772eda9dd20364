import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Schema } from 'hono';
import type { ZodType } from 'zod';
import type { AppEnv } from '../context';
import type { ErrorSpec } from '../lib/errors';
import type { Task, TaskName } from './jobs/jobs.tasks';

/**
 * What a module brings to the app: its routes, and the error codes, queued tasks and cron
 * entries it declares. `src/modules/index.ts` lists the modules; the app, the jobs webhook,
 * the cron handler and the error catalogue take everything from there, so adding a module is
 * one folder and one line.
 */
export interface Module<S extends Schema = Schema> {
  /** Also its OpenAPI tag, and the first part of its routes' `operationId`s (`items.list`). */
  name: string;
  /** The tag's description in the OpenAPI document: what the module is for, in a sentence. */
  description: string;
  /** Mounted under `API_V1_PREFIX`. */
  router: OpenAPIHono<AppEnv, S>;
  /** The result of the module's `defineErrors(…)`. */
  errors?: Record<string, ErrorSpec>;
  /** The result of the module's `defineTasks(…)`, delivered by QStash to `POST /jobs/{task}`. */
  tasks?: Record<string, Task<ZodType>>;
  /** Cron expression → tasks to enqueue when it fires; each must also be in `wrangler.toml`. */
  crons?: Record<string, readonly TaskName[]>;
}

/**
 * Declares a module's manifest, keeping its router's route types for the typed client.
 *
 * @example
 * export const itemsModule = defineModule({
 *   name: 'items', description: 'Owned items', router, errors: itemsErrors,
 * });
 */
export function defineModule<S extends Schema>(module: Module<S>): Module<S> {
  return module;
}
