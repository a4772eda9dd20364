import { hc } from 'hono/client';
import type { AppType } from '../../src/app';
import { ORIGIN, sendToWorker } from './worker';

// #region client
/**
 * The API as a typed client (`hc<AppType>`), sending each request through the Worker's real
 * `fetch`: paths, inputs and the declared success bodies are checked by the compiler.
 *
 * @example
 * const response = await api.users.me.$get({}, { headers: bearer(token) });
 * const me = await response.json(); // typed as UserRead
 */
export const api = hc<AppType>(ORIGIN, {
  fetch: (input: RequestInfo | URL, init?: RequestInit) => sendToWorker(new Request(input, init)),
}).api.v1;
// #endregion client
