import { z } from '@hono/zod-openapi';
import { sha256 } from '@oslojs/crypto/sha2';
import { encodeBase64urlNoPadding } from '@oslojs/encoding';
import type { Context } from 'hono';

/** User-owned data: browsers and proxies may keep it, but must revalidate with the ETag first. */
const PRIVATE_NO_CACHE = 'private, no-cache';

/** The strong ETag of a versioned resource (see the `versioned` column). */
export function versionEtag(version: number): string {
  return `"${version}"`;
}

/** A strong ETag of a representation without a version (a list page): a hash of its bytes. */
export function contentEtag(body: string): string {
  return `"${encodeBase64urlNoPadding(sha256(new TextEncoder().encode(body))).slice(0, 27)}"`;
}

/** The entity tags of an `If-Match` / `If-None-Match` list; `*` stays `*`. */
function entityTags(header: string): string[] {
  return header
    .split(',')
    .map((tag) => tag.trim())
    .filter(Boolean);
}

/** `If-None-Match` holds `etag` (weak comparison, RFC 9110 §13.1.2) or `*`. */
function noneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const opaque = etag.replace(/^W\//, '');
  return entityTags(header).some((tag) => tag === '*' || tag.replace(/^W\//, '') === opaque);
}

/**
 * The versions an `If-Match` header accepts (strong comparison: weak tags match nothing), for
 * the write's own `WHERE version IN (…)`; undefined when there is no condition (no header, or
 * `*`, which any existing resource meets). An empty list can match nothing: 412.
 *
 * @example
 * const versions = ifMatchVersions(c.req.header('If-Match'));
 * db.update(items).set(changes).where(and(eq(items.id, id), versions && inArray(items.version, versions)));
 */
export function ifMatchVersions(header: string | undefined): number[] | undefined {
  if (header === undefined) return undefined;
  const tags = entityTags(header);
  if (tags.includes('*')) return undefined;
  return tags.flatMap((tag) => {
    const version = /^"(\d{1,9})"$/.exec(tag)?.[1];
    return version === undefined ? [] : [Number(version)];
  });
}

/** The conditional request headers, for a route's `request.headers` (documentation and limits). */
export const ConditionalHeadersSchema = z.object({
  'if-match': z.string().max(1000).optional().openapi({
    description: 'Write only if the resource still has this ETag (else 412)',
  }),
  'if-none-match': z.string().max(1000).optional().openapi({
    description: 'Answer 304 if the representation still has this ETag',
  }),
});

/**
 * `ETag` and `Cache-Control: private, no-cache`, for a response that carries a representation
 * (a write's answer).
 *
 * @example
 * return c.json(item, 200, etagHeaders(versionEtag(version)));
 */
export function etagHeaders(etag: string): Record<string, string> {
  return { ETag: etag, 'Cache-Control': PRIVATE_NO_CACHE };
}

/**
 * A read's answer: `body` as JSON with {@link etagHeaders}, or a bodiless 304 when the
 * request's `If-None-Match` already holds that ETag. The route declares the 304.
 *
 * @example
 * return withEtag(c, item, versionEtag(version));
 * return withEtag(c, page, contentEtag(JSON.stringify(page)));
 */
export function withEtag(c: Context, body: unknown, etag: string): Response {
  if (noneMatch(c.req.header('If-None-Match'), etag)) {
    return c.body(null, 304, etagHeaders(etag));
  }
  return c.json(body, 200, etagHeaders(etag));
}
