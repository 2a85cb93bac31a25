import { randomBytes, randomUUID } from 'node:crypto';

// Identifiers shaped like the cloud's, so code that logs or pattern-matches them sees the
// real thing.

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const MIXED_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomFrom(alphabet: string, length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  // Modulo bias is irrelevant for test identifiers.
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/** ECS/STS request ids: upper-case UUIDs. */
export function requestId(): string {
  return randomUUID().toUpperCase();
}

export function invokeId(): string {
  return 't-' + randomFrom(LOWER_ALNUM, 14);
}

export function commandId(): string {
  return 'c-' + randomFrom(LOWER_ALNUM, 14);
}

export function stsAccessKeyId(): string {
  return 'STS.' + randomFrom(MIXED_ALNUM, 25);
}

export function secret(length = 44): string {
  return randomFrom(MIXED_ALNUM, length);
}

/** Real tokens are long opaque base64 strings beginning with "CAIS". */
export function securityToken(): string {
  return 'CAIS' + randomBytes(180).toString('base64');
}
