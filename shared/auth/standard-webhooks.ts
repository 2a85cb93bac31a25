import { createHmac } from 'node:crypto';
import { failed, passed, type Check } from './check.js';
import { safeEqual } from './compare.js';
import { MAX_CREDENTIAL_CHARS, readField } from './headers.js';
import { checkTimestamp } from './timestamp.js';

// Standard Webhooks (standardwebhooks.com), also sent by Svix under `svix-*` names:
//   webhook-id, webhook-timestamp (unix seconds),
//   webhook-signature: space-separated `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`
// Other versions (`v1a,` = asymmetric, anything else) are ignored. Secrets are `whsec_<base64 key>`;
// a secret without the prefix is used as its UTF-8 bytes.

const METHOD = 'standard-webhooks';
const FAMILIES = ['webhook', 'svix'] as const;
const SECRET_PREFIX = 'whsec_';

export function standardWebhooksKey(secret: string): Buffer {
  return secret.startsWith(SECRET_PREFIX) ? Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64') : Buffer.from(secret, 'utf8');
}

export function verifyStandardWebhook(
  headers: Record<string, string>,
  body: Buffer,
  secrets: readonly string[],
  nowSeconds: number,
  toleranceSeconds: number,
): Check | undefined {
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
    if (key.length === 0) continue;
    const expected = createHmac('sha256', key).update(prefix).update(body).digest('base64');
    for (const candidate of presented) hit = safeEqual(candidate, expected) || hit;
  }
  return hit ? passed(METHOD, `header ${names.signature}`) : failed(METHOD, `header ${names.signature}`, 'does not match the request');
}
