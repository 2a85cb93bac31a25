import { createHash, timingSafeEqual } from 'node:crypto';

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
