import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';

const ip = z.union([z.ipv4(), z.ipv6()]);

/** The longest `User-Agent` kept (sessions, audit events); longer ones are cut. */
export const MAX_USER_AGENT_LENGTH = 512;
/** The longest text form of an IP address (an IPv4-mapped IPv6 one). */
export const MAX_IP_LENGTH = 45;

/** Where a request came from, recorded with each audit event. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
  requestId: string;
}

/** The client's IP as Cloudflare reports it, or null when absent or malformed. */
export function clientIp(c: Context): string | null {
  const value = c.req.header('CF-Connecting-IP');
  return value && ip.safeParse(value).success ? value : null;
}

/** Where a request came from, for audit records and sessions. */
export function requestMeta(c: Context): RequestMeta {
  return {
    ip: clientIp(c),
    userAgent: c.req.header('User-Agent')?.slice(0, MAX_USER_AGENT_LENGTH) ?? null,
    requestId: c.get('requestId') as string,
  };
}
