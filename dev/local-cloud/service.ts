/** A service of the local cloud, listening on loopback. */
export interface RunningService {
  /** Base URL the Worker is configured with (e.g. `http://127.0.0.1:8791/sql` for Postgres). */
  url: string;
  close(): Promise<void>;
}

/** Credentials the local cloud accepts; `.dev.vars.example` and the test setup use the same. */
export const LOCAL_CREDENTIALS = {
  redisToken: 'local-redis-token',
  qstashToken: 'local-qstash-token',
  qstashCurrentSigningKey: 'sig_local_current_0123456789abcdef',
  qstashNextSigningKey: 'sig_local_next_0123456789abcdef0123',
  resendApiKey: 're_local_0123456789',
} as const;

/**
 * Where each service listens relative to the API's port in `npm run dev`: the API on N, the
 * local cloud on N+4 to N+8 (8791 to 8795 beside the default 8787). Tests pick free ports.
 */
const PORT_OFFSETS = { postgres: 4, redis: 5, qstash: 6, mailbox: 7, console: 8 } as const;

/** The API port `npm run dev` serves on without `--port` or `STRATUS_PORT`. */
export const DEFAULT_API_PORT = 8787;

/** The local cloud's ports beside an API on `apiPort`. */
export function servicePorts(apiPort: number): Record<ServiceName, number> {
  return Object.fromEntries(
    Object.entries(PORT_OFFSETS).map(([name, offset]) => [name, apiPort + offset]),
  ) as Record<ServiceName, number>;
}

/** Default loopback ports of the local cloud, beside the API on {@link DEFAULT_API_PORT}. */
export const DEFAULT_PORTS = servicePorts(DEFAULT_API_PORT);

export type ServiceName = keyof typeof PORT_OFFSETS;
