import { failed, passed, type Check } from './check.js';
import { matchesAny } from './compare.js';
import { MAX_CREDENTIAL_CHARS, readField } from './headers.js';

// WEBHOOK_TOKENS: accepted as `Authorization: Bearer <token>` and as the URL's `?token=<token>`
// (CloudMonitor and SLS cannot set headers). Only those two places: the same token under any
// other query key or as a Basic password is not a token.

export function verifyBearer(credentials: string, tokens: readonly string[]): Check {
  const path = 'header authorization';
  return matchesAny(credentials, usable(tokens)) ? passed('bearer', path) : failed('bearer', path, 'the bearer token is not accepted');
}

export function verifyUrlToken(query: Record<string, string>, tokens: readonly string[]): Check | undefined {
  const token = readField(query, 'token');
  if (token === undefined) return undefined;
  const path = 'query token';
  if (token.length === 0 || token.length > MAX_CREDENTIAL_CHARS) return failed('url-token', path, 'the URL token is not accepted');
  return matchesAny(token, usable(tokens)) ? passed('url-token', path) : failed('url-token', path, 'the URL token is not accepted');
}

/** An empty configured token must never match an empty presented one. */
const usable = (tokens: readonly string[]) => tokens.filter((t) => typeof t === 'string' && t.length > 0);
