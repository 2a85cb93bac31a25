import { timingSafeEqual } from 'node:crypto';

/** RFC 3986 percent-encoding exactly as the Alibaba Cloud SDKs apply it when signing. */
export function percentEncode(text: string): string {
  return encodeURIComponent(text)
    .replace(/!/g, '%21')
    .replace(/'/g, '%27')
    .replace(/\(/g, '%28')
    .replace(/\)/g, '%29')
    .replace(/\*/g, '%2A');
}

/** Constant-time string comparison, so a verifier leaks nothing through timing. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Sort key/value pairs by key the way the SDKs do (`Object.keys(...).sort()`), stable. */
export function sortPairs(pairs: ReadonlyArray<readonly [string, string]>): Array<readonly [string, string]> {
  return [...pairs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
