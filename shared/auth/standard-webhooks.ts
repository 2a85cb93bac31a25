import { createHmac } from 'node:crypto';
import { type Check, checkTimestamp, failed, MAX_CREDENTIAL_CHARS, passed, readField, safeEqual, type SignedInput } from './verifier.js';

// Standard Webhooks (standardwebhooks.com), also sent by Svix under `svix-*` names:
//   webhook-id, webhook-timestamp (unix seconds),
//   webhook-signature: space-separated `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`
// Other versions (`v1a,` = asymmetric, anything else) are ignored. A secret is read exactly as the
// official `standardwebhooks` library reads it: an optional `whsec_` prefix, the rest the key in
// standard base64. A secret that is not base64 is no Standard Webhooks key (it may still be a
// Grafana secret: Grafana keys its HMAC with the whole string as typed).

const METHOD = 'standard-webhooks';
const FAMILIES = ['webhook', 'svix'] as const;
const SECRET_PREFIX = 'whsec_';

const BASE64_ALPHABET = /^[A-Za-z0-9+/]*$/;

/**
 * The HMAC key of a Standard Webhooks secret, or undefined where the official library refuses
 * the secret. Its decoder (@stablelib/base64) is stricter than Node's in some ways and looser in
 * others, and a key must match it byte for byte:
 * - standard alphabet only (no `-`/`_`, no whitespace), `=` only as trailing padding, at most two;
 * - at least 4 characters, padding included (`YQ==` is a key, `YQ` is not);
 * - padding is optional otherwise, and bits past the last whole byte are dropped;
 * - a lone character after the last full group (length ≡ 1 mod 4) is skipped unread;
 * - an empty key is refused.
 */
export function standardWebhooksKey(secret: string): Buffer | undefined {
  const text = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (text.length < 4) return undefined;
  const padding = text.length - text.replace(/=+$/, '').length;
  if (padding > 2) return undefined;
  let digits = text.slice(0, text.length - padding);
  if (digits.length % 4 === 1) digits = digits.slice(0, -1);
  if (!BASE64_ALPHABET.test(digits)) return undefined;
  const key = Buffer.from(digits, 'base64');
  return key.length > 0 ? key : undefined;
}

/**
 * 1-based positions of `whsec_` entries the official library would refuse: the prefix says the
 * entry is meant for Standard Webhooks, so a bad one is a configuration error, not a Grafana secret.
 */
export function badStandardWebhooksSecrets(secrets: readonly string[]): number[] {
  return secrets.flatMap((secret, n) => (secret.startsWith(SECRET_PREFIX) && standardWebhooksKey(secret) === undefined ? [n + 1] : []));
}

export function verifyStandardWebhook({ headers, body, secrets, nowSeconds, toleranceSeconds }: SignedInput): Check | undefined {
  const family = FAMILIES.find((f) => ['id', 'timestamp', 'signature'].some((part) => readField(headers, `${f}-${part}`) !== undefined));
  if (family === undefined) return undefined;

  const names = { id: `${family}-id`, timestamp: `${family}-timestamp`, signature: `${family}-signature` };
  const id = readField(headers, names.id);
  const timestamp = readField(headers, names.timestamp);
  const signature = readField(headers, names.signature);
  const all = `header ${names.id}, ${names.timestamp}, ${names.signature}`;
  if (!id || !timestamp || !signature) return failed(METHOD, all, `${names.id}, ${names.timestamp} and ${names.signature} must all be present`);
  if (id.length > MAX_CREDENTIAL_CHARS || timestamp.length > MAX_CREDENTIAL_CHARS || signature.length > MAX_CREDENTIAL_CHARS) {
    return failed(METHOD, all, 'a signature header is too long');
  }

  const time = checkTimestamp(timestamp, nowSeconds, toleranceSeconds);
  if (!time.ok) return failed(METHOD, `header ${names.timestamp}`, time.reason);

  // Entries are `version,signature`; tolerate the `, ` an upstream may have joined repeated headers with.
  const presented = signature
    .split(/\s+/)
    .map((entry) => entry.replace(/,$/, ''))
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => entry.slice(3));
  if (presented.length === 0) return failed(METHOD, `header ${names.signature}`, 'carries no v1 signature');

  const prefix = Buffer.from(`${id}.${timestamp}.`, 'utf8');
  let hit = false;
  for (const secret of secrets) {
    const key = standardWebhooksKey(secret);
    if (key === undefined) continue;
    const expected = createHmac('sha256', key).update(prefix).update(body).digest('base64');
    for (const candidate of presented) hit = safeEqual(candidate, expected) || hit;
  }
  return hit ? passed(METHOD, `header ${names.signature}`, id) : failed(METHOD, `header ${names.signature}`, 'does not match the request');
}
