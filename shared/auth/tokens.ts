import { failed, matchesAny, MAX_CREDENTIAL_CHARS, passed, readField, safeEqual, type Check } from './verifier.js';

// The credentials that authenticate the whole request, URL included: `Authorization: Bearer`
// and the URL's `?token=` (WEBHOOK_TOKENS), and `Authorization: Basic` (WEBHOOK_BASIC_AUTH).

// --- the Authorization header ---------------------------------------------------------------
// Splits `Authorization: <scheme> <credentials>` (scheme case-insensitive, RFC 9110 §11.4).

export type Authorization =
  | { scheme: 'bearer' | 'basic'; credentials: string }
  | { scheme: 'other'; credentials: '' }
  | { scheme: 'too-long'; credentials: '' };

export function readAuthorization(headers: Record<string, string>): Authorization | undefined {
  const value = readField(headers, 'authorization');
  if (value === undefined) return undefined;
  if (value.length > MAX_CREDENTIAL_CHARS) return { scheme: 'too-long', credentials: '' };
  const match = /^\s*([A-Za-z]+)[ \t]+(\S(?:.*\S)?)\s*$/s.exec(value);
  if (match === null) return { scheme: 'other', credentials: '' };
  const scheme = match[1].toLowerCase();
  if (scheme === 'bearer' || scheme === 'basic') return { scheme, credentials: match[2] };
  return { scheme: 'other', credentials: '' };
}

// --- Bearer and URL token -------------------------------------------------------------------
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

// --- Basic ----------------------------------------------------------------------------------
// HTTP Basic (RFC 7617), e.g. Alertmanager `http_config.basic_auth` or Grafana's
// "Basic Authentication" fields. WEBHOOK_BASIC_AUTH is a comma list of `user:password`; the
// user ends at the first ':', so passwords may contain ':' (but not ',', the list separator).

export interface BasicCredential {
  username: string;
  password: string;
}

export function parseBasicAuthList(value: string): BasicCredential[] {
  if (value.trim() === '') return [];
  return value.split(',').map((raw, index) => {
    const entry = raw.trim();
    const colon = entry.indexOf(':');
    // The entry itself is never quoted back: it holds a password.
    const where = `WEBHOOK_BASIC_AUTH entry ${index + 1}`;
    if (entry === '') throw new Error(`${where} is empty; write user:password entries separated by commas`);
    if (colon < 0) throw new Error(`${where} has no ':'; write it as user:password`);
    if (colon === 0) throw new Error(`${where} has an empty user name; write it as user:password`);
    if (colon === entry.length - 1) throw new Error(`${where} has an empty password; write it as user:password`);
    return { username: entry.slice(0, colon), password: entry.slice(colon + 1) };
  });
}

export function verifyBasic(credentials: string, accepted: readonly BasicCredential[]): Check {
  const path = 'header authorization';
  const refused = failed('basic', path, 'the Basic credentials are not accepted');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(credentials)) return failed('basic', path, 'the Basic credentials are not base64 of user:password');
  const decoded = Buffer.from(credentials, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return failed('basic', path, 'the Basic credentials are not base64 of user:password');
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  if (username === '' || password === '') return refused;

  let hit = false;
  for (const entry of accepted) {
    // Both halves are always compared: `&` does not short-circuit.
    const same = Number(safeEqual(username, entry.username)) & Number(safeEqual(password, entry.password));
    hit = same === 1 || hit;
  }
  return hit ? passed('basic', path) : refused;
}
