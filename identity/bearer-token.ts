import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, errors, jwtVerify, SignJWT } from 'jose';
import { IdentityError, reason } from './identity-error.js';
import { SIGNATURE_ALG } from './jws.js';
import { MAX_CHAIN_LENGTH } from './jws-header.js';
import type { SignatureVerifier, VerifiedSigner } from './signature-verifier.js';
import type { Signer } from './signing-key.js';

// The trader API's bearer tokens (design.md §11): a JWT signed by the holder's e.firma key, RS256
// with x5c in its header like a message signature, claims sub (the holder's RFC), aud, iat, exp
// (at most 5 minutes after iat) and jti. Whether a jti was used before is the gateway's to know
// (services/gateway/token-uses.ts); this module says whether the token itself holds.

export const TOKEN_AUDIENCE = 'ventanilla';
/** exp may be at most this long after iat. */
export const TOKEN_MAX_LIFETIME_S = 300;
/** Clocks of trader systems drift: iat a little in the future, or exp a little past, still pass. */
const CLOCK_TOLERANCE_S = 30;
/** A longer Authorization header is refused unread. */
const MAX_TOKEN_CHARS = 64 * 1024;

/** A token that holds: whose it is, and what the gateway needs to refuse its second use. */
export interface VerifiedToken {
  holder: VerifiedSigner;
  jti: string;
  /** Unix seconds. */
  exp: number;
}

export type TokenVerdict = { ok: true; token: VerifiedToken } | { ok: false; message: string };

/** A token for the holder of `signer`, valid `lifetimeS` seconds from `now` (`ventanilla token`). */
export async function signBearerToken(
  signer: Pick<Signer, 'key' | 'chain' | 'info'>,
  options: { now?: Date; lifetimeS?: number; jti?: string } = {},
): Promise<string> {
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const { rfc } = signer.info;
  if (!rfc) throw new IdentityError('the certificate has no RFC (x500UniqueIdentifier) to put in the token');
  return new SignJWT({})
    .setProtectedHeader({
      alg: SIGNATURE_ALG,
      typ: 'JWT',
      x5c: signer.chain.map((der) => Buffer.from(der).toString('base64')),
    })
    .setSubject(rfc)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (options.lifetimeS ?? TOKEN_MAX_LIFETIME_S))
    .setJti(options.jti ?? randomUUID())
    .sign(signer.key);
}

const refused = (message: string): TokenVerdict => ({ ok: false, message });

/**
 * Checks an Authorization header: a Bearer JWT whose chain ends in the trust store, whose
 * certificate is valid and not revoked now, signed by it, for this audience, unexpired, living at
 * most 5 minutes, and whose `sub` is the certificate's RFC. Never throws: every problem comes
 * back as a message the caller can show.
 */
export async function verifyBearerToken(
  verifier: SignatureVerifier,
  authorization: string | undefined,
  now = new Date(),
): Promise<TokenVerdict> {
  const token = bearer(authorization);
  if (typeof token !== 'string') return token;
  const x5c = headerChain(token);
  if (!Array.isArray(x5c)) return x5c;
  const holder = await verifier.holderOf(x5c, Math.floor(now.getTime() / 1000));
  if (!holder.ok) return refused(`the token's certificate: ${holder.message}`);
  try {
    const { payload } = await jwtVerify(token, holder.key, {
      algorithms: [SIGNATURE_ALG],
      audience: TOKEN_AUDIENCE,
      requiredClaims: ['sub', 'iat', 'exp', 'jti'],
      currentDate: now,
      clockTolerance: CLOCK_TOLERANCE_S,
    });
    const { sub, iat, exp, jti } = payload as { sub: string; iat: number; exp: number; jti: unknown };
    if (exp - iat > TOKEN_MAX_LIFETIME_S) {
      return refused(
        `the token lives ${exp - iat} s (exp - iat); at most ${TOKEN_MAX_LIFETIME_S} s are accepted`,
      );
    }
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > 128) {
      return refused('the token needs a jti of 1 to 128 characters');
    }
    if (sub !== holder.signer.rfc) {
      return refused(
        `the token's sub ${JSON.stringify(sub)} is not its certificate's RFC ${holder.signer.rfc}`,
      );
    }
    return { ok: true, token: { holder: holder.signer, jti, exp } };
  } catch (error) {
    return refused(claimProblem(error));
  }
}

function bearer(authorization: string | undefined): string | TokenVerdict {
  if (!authorization)
    return refused(
      'the request has no Authorization header; send "Authorization: Bearer <token>" (npx ventanilla token prints one)',
    );
  if (authorization.length > MAX_TOKEN_CHARS) return refused('the Authorization header is too long');
  const match = /^Bearer +(\S+)\s*$/i.exec(authorization);
  if (!match) return refused('the Authorization header is not "Bearer <token>"');
  return match[1]!;
}

function headerChain(token: string): string[] | TokenVerdict {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return refused('the bearer token is not a JWT (<header>.<claims>.<signature>, base64url)');
  }
  if (header.alg !== SIGNATURE_ALG)
    return refused(`the token's alg ${JSON.stringify(header.alg)} is refused; only ${SIGNATURE_ALG}`);
  const { x5c } = header;
  if (
    !Array.isArray(x5c) ||
    x5c.length === 0 ||
    x5c.length > MAX_CHAIN_LENGTH ||
    !x5c.every((c) => typeof c === 'string')
  ) {
    return refused(
      `the token's header needs x5c: the signer's certificate (base64 DER), then its chain, at most ${MAX_CHAIN_LENGTH}`,
    );
  }
  return x5c;
}

function claimProblem(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired (exp); ask for a new one';
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return "the token's signature does not match its certificate";
  }
  if (error instanceof errors.JWTClaimValidationFailed) return `the token's claims: ${error.message}`;
  return `the token cannot be checked: ${reason(error)}`;
}
