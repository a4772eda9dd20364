import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { AppError } from '../../lib/errors';
import { perSettings } from '../../lib/per-settings';
import type { Settings } from '../../settings';

/** RFC 9068's type for access tokens: a refresh token or an ID token can never pass as one. */
const ACCESS_TOKEN_TYPE = 'at+jwt';
const ALGORITHM = 'HS256';
/** A user id as the API writes it: decimal digits, no sign, no leading zero, no exponent. */
const CANONICAL_ID = /^[1-9]\d{0,15}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AccessClaims {
  /** The user id. */
  userId: number;
  /** The user's `token_version` when the token was issued. */
  version: number;
  /** The refresh-token family (the session) the token belongs to, so logout can end it. */
  familyId: string;
}

/**
 * The HMAC key, imported once per isolate and secret: given raw bytes, jose would import them
 * again (`crypto.subtle.importKey`) on every signature and every verification.
 */
const secretKey = perSettings((settings) =>
  crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(settings.SECRET_KEY),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  ),
);

/** Who issues tokens and who accepts them: this deployment's public URL and its API. */
const audience = perSettings((settings) => ({
  issuer: settings.PUBLIC_BASE_URL,
  audience: `${settings.PUBLIC_BASE_URL}${settings.API_V1_PREFIX}`,
}));

/** What a verification requires, built once per settings. */
const verifyOptions = perSettings((settings) => ({
  algorithms: [ALGORITHM],
  typ: ACCESS_TOKEN_TYPE,
  ...audience(settings),
  requiredClaims: ['sub', 'exp', 'nbf', 'iat'],
}));

/** Signs a short-lived access token (HS256, `typ: at+jwt`, `ACCESS_TOKEN_EXPIRE_MINUTES`). */
export async function signAccessToken(settings: Settings, claims: AccessClaims): Promise<string> {
  const { issuer, audience: aud } = audience(settings);
  return new SignJWT({ ver: claims.version, sid: claims.familyId })
    .setProtectedHeader({ alg: ALGORITHM, typ: ACCESS_TOKEN_TYPE })
    .setSubject(String(claims.userId))
    .setIssuer(issuer)
    .setAudience(aud)
    .setIssuedAt()
    .setNotBefore('0s')
    .setExpirationTime(`${settings.ACCESS_TOKEN_EXPIRE_MINUTES}m`)
    .setJti(crypto.randomUUID())
    .sign(await secretKey(settings));
}

interface Verified {
  claims: AccessClaims;
  /** `nbf` and `exp`, in seconds since the epoch. */
  notBefore: number;
  expires: number;
}

/** Tokens this isolate verified, most recent last: a client sends the same one many times. */
const verifiedTokens = perSettings(() => new Map<string, Verified>());
const VERIFIED_TOKENS_KEPT = 1_000;

/**
 * Verifies an access token: signature with the pinned algorithm (no `none`, no RS/HS
 * confusion), `typ`, `iss`, `aud`, `exp` and `nbf`. Anything wrong is a 401. A token this
 * isolate already verified (the exact string, so the same signature) is only checked against
 * its `nbf` and `exp` again, as jose checks them: the rest cannot have changed.
 */
export async function verifyAccessToken(settings: Settings, token: string): Promise<AccessClaims> {
  const verified = verifiedTokens(settings);
  const known = verified.get(token);
  if (known) {
    const now = Math.floor(Date.now() / 1000);
    if (known.notBefore <= now && now < known.expires) return known.claims;
    verified.delete(token);
  }
  const { claims, notBefore, expires } = await verify(settings, token);
  if (verified.size >= VERIFIED_TOKENS_KEPT) {
    for (const oldest of verified.keys()) {
      verified.delete(oldest);
      break;
    }
  }
  verified.set(token, { claims, notBefore, expires });
  return claims;
}

async function verify(settings: Settings, token: string): Promise<Verified> {
  try {
    const { payload } = await jwtVerify(token, await secretKey(settings), verifyOptions(settings));
    const userId = CANONICAL_ID.test(payload.sub ?? '') ? Number(payload.sub) : Number.NaN;
    const { ver, sid } = payload;
    if (
      !Number.isSafeInteger(userId) ||
      !Number.isSafeInteger(ver) ||
      typeof sid !== 'string' ||
      !UUID.test(sid)
    ) {
      throw new AppError('UNAUTHORIZED', { detail: 'Malformed token claims' });
    }
    return {
      claims: Object.freeze({ userId, version: ver as number, familyId: sid }),
      // Both required above (`requiredClaims`), and numbers (jose checks them).
      notBefore: payload.nbf as number,
      expires: payload.exp as number,
    };
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (error instanceof joseErrors.JOSEError || error instanceof TypeError) {
      throw new AppError('UNAUTHORIZED', { detail: 'Invalid or expired token', cause: error });
    }
    throw error;
  }
}
