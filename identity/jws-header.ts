import { SIGNATURE_ALG, SIGNATURE_HEADER } from './jws.js';

/** The parts of a detached JWS header value that the verifier goes on to check. */
export interface DetachedJws {
  /** The base64url protected header, as received: the signing input starts with it. */
  encodedHeader: string;
  signature: string;
  x5c: string[];
  iat: number;
}

/** Why the header value cannot even be read: SIGNATURE_MISSING or SIGNATURE_INVALID. */
export interface HeaderProblem {
  code: 'SIGNATURE_MISSING' | 'SIGNATURE_INVALID';
  message: string;
}

/** More would be a chain no CA hands out, and only costs us parsing. */
export const MAX_CHAIN_LENGTH = 10;
// An empty signature is let through to the header checks, so that alg "none" is named as such.
const DETACHED = /^([A-Za-z0-9_-]+)\.\.([A-Za-z0-9_-]*)$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

const invalid = (message: string): HeaderProblem => ({ code: 'SIGNATURE_INVALID', message });

/** A header value of any type (Kafka gives Buffers, HTTP strings, an attacker anything). */
export function readDetachedJws(header: unknown, maxBytes: number): DetachedJws | HeaderProblem {
  const text = headerText(header, maxBytes);
  if (typeof text !== 'string') return text;
  const match = DETACHED.exec(text);
  if (!match) {
    const parts = text.split('.');
    return invalid(
      parts.length === 3 && parts[1]
        ? `${SIGNATURE_HEADER} is a JWS with its payload attached; send it detached, as <header>..<signature>`
        : `${SIGNATURE_HEADER} is not a detached JWS (<base64url header>..<base64url signature>)`,
    );
  }
  const [, encodedHeader, signature] = match as unknown as [string, string, string];
  const fields = decodeHeader(encodedHeader);
  if ('code' in fields) return fields;
  return { encodedHeader, signature, ...fields };
}

function headerText(header: unknown, maxBytes: number): string | HeaderProblem {
  if (header === undefined || header === null) {
    return { code: 'SIGNATURE_MISSING', message: `the message has no ${SIGNATURE_HEADER} header` };
  }
  const isBytes = header instanceof Uint8Array;
  if (!isBytes && typeof header !== 'string') {
    return invalid(`${SIGNATURE_HEADER} is a ${typeof header}, not text`);
  }
  // The length is checked before anything reads the value: a megabyte header costs nothing more.
  const size = isBytes ? header.byteLength : header.length;
  if (size > maxBytes)
    return invalid(`${SIGNATURE_HEADER} is ${size} bytes, more than the ${maxBytes} allowed`);
  const text = (isBytes ? Buffer.from(header).toString('latin1') : header).trim();
  if (!text) return { code: 'SIGNATURE_MISSING', message: `the ${SIGNATURE_HEADER} header is empty` };
  return text;
}

function decodeHeader(encoded: string): Pick<DetachedJws, 'x5c' | 'iat'> | HeaderProblem {
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return invalid('the protected header is not base64url-encoded JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    return invalid('the protected header is not a JSON object');
  }
  const { alg, x5c, iat, crit, b64 } = header as Record<string, unknown>;
  if (alg === 'none') return invalid('alg "none" (an unsigned message) is refused; sign with RS256');
  if (alg !== SIGNATURE_ALG)
    return invalid(`alg ${shown(alg)} is refused; only ${SIGNATURE_ALG} is accepted`);
  // Both change what the signature covers (RFC 7515 §4.1.11, RFC 7797): no message needs them.
  if (crit !== undefined || b64 !== undefined)
    return invalid('the protected header may not carry crit or b64');
  const chainProblem = x5cProblem(x5c);
  if (chainProblem) return invalid(chainProblem);
  if (typeof iat !== 'number' || !Number.isSafeInteger(iat) || iat < 0) {
    return invalid(`iat must be a whole number of seconds since 1970, got ${shown(iat)}`);
  }
  return { x5c: x5c as string[], iat };
}

function x5cProblem(x5c: unknown): string | undefined {
  if (x5c === undefined) return 'the protected header has no x5c: the signer certificate must be in it';
  if (!Array.isArray(x5c) || x5c.length === 0) return 'x5c must be a non-empty array of certificates';
  if (x5c.length > MAX_CHAIN_LENGTH) return `x5c has ${x5c.length} certificates, at most ${MAX_CHAIN_LENGTH}`;
  const bad = x5c.findIndex((c) => typeof c !== 'string' || c.length % 4 !== 0 || !BASE64.test(c));
  return bad < 0 ? undefined : `x5c[${bad}] is not a base64 DER certificate`;
}

/** An attacker's value, short enough to put in a log line. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
