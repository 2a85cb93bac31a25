import { createHash, timingSafeEqual } from 'node:crypto';

// What every credential verifier shares: the Check it returns, constant-time comparison,
// reading attacker-controlled header and query maps, and the replay window of signed
// timestamps. The verifiers themselves are tokens.ts (Bearer, Basic, URL token, which cover
// the whole request) and grafana.ts / standard-webhooks.ts (HMAC signatures, which cover
// the signed bytes only).

// --- the result of one check ---------------------------------------------------------------
// A verifier returns `undefined` when the request does not carry its kind of credential at all.

/** What an HMAC verifier reads: the request's headers and exact bytes, the secrets, the clock. */
export interface SignedInput {
  headers: Record<string, string>;
  body: Buffer;
  secrets: readonly string[];
  nowSeconds: number;
  toleranceSeconds: number;
}

export type CredentialMethod = 'standard-webhooks' | 'grafana-hmac' | 'bearer' | 'basic' | 'url-token';

export interface Check {
  method: CredentialMethod;
  ok: boolean;
  /** Where the credential was found, e.g. `header webhook-signature`, `query token`. */
  path: string;
  /** Why it did not verify. Never contains the credential, a signature or a secret. */
  reason: string;
  /** The message id the signature covers (Standard Webhooks `webhook-id`), when it verified. */
  messageId?: string;
}

export const passed = (method: CredentialMethod, path: string, messageId?: string): Check => ({ method, ok: true, path, reason: '', ...(messageId ? { messageId } : {}) });
export const failed = (method: CredentialMethod, path: string, reason: string): Check => ({ method, ok: false, path, reason });

// --- constant-time comparison ---------------------------------------------------------------
// Constant-time equality for credentials. Both sides are hashed first, so the comparison
// always runs over two 32-byte digests: neither the length of the expected value nor the
// position of the first differing byte shows in the timing.

const digest = (value: string | Buffer): Buffer => createHash('sha256').update(value).digest();

export function safeEqual(presented: string | Buffer, expected: string | Buffer): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** True when `presented` equals any candidate. Every candidate is compared (no early exit). */
export function matchesAny(presented: string | Buffer, candidates: ReadonlyArray<string | Buffer>): boolean {
  let hit = false;
  for (const candidate of candidates) hit = safeEqual(presented, candidate) || hit;
  return hit;
}

// --- header and query maps ------------------------------------------------------------------
// Reading attacker-controlled header and query maps safely: own properties only (so
// `constructor` or `__proto__` never resolve to something inherited), strings only.

/** Longest credential value we look at; anything longer is refused without further work. */
export const MAX_CREDENTIAL_CHARS = 8192;

export function readField(record: Record<string, string> | undefined, name: string): string | undefined {
  if (record === null || typeof record !== 'object' || !Object.prototype.hasOwnProperty.call(record, name)) return undefined;
  const value: unknown = record[name];
  return typeof value === 'string' ? value : undefined;
}

/** The first of `names` present in `record`, with the name it was found under. */
export function readFirst(record: Record<string, string> | undefined, names: readonly string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = readField(record, name);
    if (value !== undefined) return { name, value };
  }
  return undefined;
}

// --- signed timestamps ----------------------------------------------------------------------
// Replay window shared by the signature schemes that carry a timestamp.

export const DEFAULT_TOLERANCE_SECONDS = 300;

export type TimestampCheck = { ok: true } | { ok: false; reason: string };

export function toleranceOf(configured: number | undefined): number {
  return typeof configured === 'number' && Number.isFinite(configured) && configured >= 0 ? configured : DEFAULT_TOLERANCE_SECONDS;
}

/** `raw` must be integer unix seconds (digits only, as Standard Webhooks and Grafana send it). */
export function checkTimestamp(raw: string, nowSeconds: number, toleranceSeconds: number): TimestampCheck {
  const text = raw.trim();
  if (!/^\d{1,12}$/.test(text)) return { ok: false, reason: 'is not a unix timestamp in seconds' };
  const skew = nowSeconds - Number(text);
  if (Math.abs(skew) <= toleranceSeconds) return { ok: true };
  const side = skew > 0 ? 'in the past' : 'in the future';
  return { ok: false, reason: `is a timestamp outside the tolerance (more than ${toleranceSeconds} s ${side}, check the sender's clock)` };
}
