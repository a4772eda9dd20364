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

/** Default loopback ports for `npm run dev`; tests pick free ports instead. */
export const DEFAULT_PORTS = {
  postgres: 8791,
  redis: 8792,
  qstash: 8793,
  mailbox: 8794,
  console: 8795,
} as const;

export type ServiceName = keyof typeof DEFAULT_PORTS;
