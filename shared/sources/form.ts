import { decodeText } from './body.js';

// application/x-www-form-urlencoded → a plain record. The record has no prototype, so a
// field named `__proto__` or `constructor` is just a field.

/** Form body → fields; the first occurrence of a repeated name wins. */
export function parseForm(body: Buffer): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of new URLSearchParams(decodeText(body))) {
    if (!Object.hasOwn(out, name)) out[name] = value;
  }
  return out;
}

/** A body sent as a form that is really JSON (e.g. `curl -d '{...}'` without a content type). */
export function looksLikeJson(body: Buffer): boolean {
  for (const byte of body) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return byte === 0x7b || byte === 0x5b; // '{' or '['
  }
  return false;
}
