import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';

const ip = z.union([z.ipv4(), z.ipv6()]);

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
    userAgent: c.req.header('User-Agent')?.slice(0, 512) ?? null,
    requestId: c.get('requestId') as string,
  };
}
