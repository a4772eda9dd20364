import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener, type Http2Bindings, type HttpBindings } from '@hono/node-server';
import { portInUseMessage } from './ports';

const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|localhost)$/;

export interface Listening {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  port: number;
  /** Stops listening and drops open connections; calling it again is harmless. */
  close(): Promise<void>;
}

/**
 * Serves `fetch` on a loopback address: the local cloud never answers anything else. Port 0
 * picks a free port. The process's global `Request`/`Response` are left alone, since several
 * services share the process.
 *
 * @example
 * const { origin, close } = await listenOnLoopback('mailbox', app.fetch, 8794);
 */
export async function listenOnLoopback(
  name: string,
  fetch: (request: Request, env: HttpBindings | Http2Bindings) => Response | Promise<Response>,
  port: number,
  host = '127.0.0.1',
): Promise<Listening> {
  if (!LOOPBACK.test(host))
    throw new Error(`${name}: refusing to listen on non-loopback "${host}"`);
  const server = createServer(getRequestListener(fetch, { overrideGlobalObjects: false }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE') return reject(error);
      portInUseMessage(port, name).then(
        (message) => reject(new Error(`${message}: is the local cloud already running?`)),
        reject,
      );
    });
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    origin: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`,
    port: actual,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections from workerd would otherwise hold close() open.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
