import { failed, passed, type Check } from './check.js';
import { safeEqual } from './compare.js';

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
