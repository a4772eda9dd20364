import type { AccessClaims } from './auth/auth.tokens';

/**
 * What was read for a request's verified access token in its one Redis round trip: every key
 * the modules' `preflight` named, with its value (null when absent).
 */
export interface Preflight {
  /** The access token the request presented, verified. */
  token: string;
  claims: AccessClaims;
  /** Key → value (JSON parsed as the client does); undefined when Redis could not answer. */
  reads: ReadonlyMap<string, unknown> | undefined;
  /** Why Redis could not answer, when it could not. */
  error?: unknown;
  /** How long the round trip took (`Server-Timing`). */
  durationMs: number;
}
