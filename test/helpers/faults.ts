import { inject } from 'vitest';
import { LOCAL_DATABASE_URL } from '../../dev/local-cloud/bindings';
import type { Fault } from '../../dev/local-cloud/faults';
import type { ServiceName } from '../../dev/local-cloud/service';
import type { Overrides } from './worker';

/** A fault to play: its `mode` and, for `slow` and `error`, `delay_ms` or `status`. */
export type FaultInput = Pick<Fault, 'mode'> & Partial<Pick<Fault, 'delay_ms' | 'status'>>;

/** A service's origin, where `/__local/faults` answers. */
function origin(service: ServiceName): string {
  return new URL(inject('localCloud')[service]).origin;
}

async function control(service: ServiceName, init: RequestInit, query = ''): Promise<void> {
  const response = await fetch(`${origin(service)}/__local/faults${query}`, init);
  if (!response.ok) {
    throw new Error(`local ${service} faults: ${response.status} ${await response.text()}`);
  }
}

/**
 * Faults on demand for one test: the local cloud's services break only for requests sent
 * with `settings` (tagged with this scope's own tag), so tests running beside it are unaffected.
 *
 * @example
 * const faults = faultScope();
 * afterEach(() => faults.clear());
 * await faults.set('postgres', { mode: 'down' });
 * const response = await callWith(faults.settings, `${API}/users/me`, { headers });
 */
export function faultScope() {
  const tag = `fault-${crypto.randomUUID().slice(0, 8)}`;
  const urls = inject('localCloud');
  const settings: Overrides = {
    DATABASE_URL: `${LOCAL_DATABASE_URL}?application_name=${tag}`,
    UPSTASH_REDIS_REST_URL: `${urls.redis}/__tag/${tag}`,
    QSTASH_URL: `${urls.qstash}/__tag/${tag}`,
    RESEND_API_URL: `${urls.mailbox}/__tag/${tag}`,
  };
  return {
    tag,
    /** Overrides that route the Worker's traffic through this scope's tag. */
    settings,
    /** Plays `fault` on `service` for this scope's requests (replacing an earlier one). */
    set(service: ServiceName, fault: FaultInput): Promise<void> {
      return control(service, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ ...fault, tag }),
      });
    },
    /** Ends this scope's faults on every service. */
    async clear(): Promise<void> {
      const services: ServiceName[] = ['postgres', 'redis', 'qstash', 'mailbox'];
      await Promise.all(
        services.map((service) => control(service, { method: 'DELETE' }, `?tag=${tag}`)),
      );
    },
  };
}
