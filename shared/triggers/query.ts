import { RequestError } from '../errors.js';
import type { ErrorDetail } from '../types.js';

// The webhook URL's query string, checked like a body (README "Security model"): only known
// names, well-formed values, and — because an HMAC signature covers the body, not the URL —
// no parameter that steers a stop unless the credential that admitted the request covers
// the URL (a bearer/Basic/URL token does; a signature does not).

/** Canonical name → the spellings accepted on the URL (snake or camel case, exactly). */
const SPELLINGS = {
  source: ['source'],
  dryRun: ['dryRun'],
  regionId: ['regionId', 'region_id'],
  invokeId: ['invokeId', 'invoke_id'],
  instanceId: ['instanceId', 'instance_id', 'instanceIds', 'instance_ids'],
  commandId: ['commandId', 'command_id'],
  commandName: ['commandName', 'command_name'],
} as const;

export type QueryName = keyof typeof SPELLINGS;

/** The URL token credential; read by authentication, never by an adapter. */
const TOKEN = 'token';

const CANONICAL = new Map<string, QueryName>(
  (Object.entries(SPELLINGS) as Array<[QueryName, readonly string[]]>).flatMap(([name, spellings]) => spellings.map((s) => [s, name] as [string, QueryName])),
);

/** Every name the URL may carry, for the error message. */
export const ACCEPTED_QUERY_NAMES: readonly string[] = [TOKEN, ...CANONICAL.keys()];

/** Values that take one item; a list parameter (instanceId) may be repeated or comma-separated. */
const LIST: ReadonlySet<QueryName> = new Set(['instanceId']);
const MAX_VALUE_LENGTH = 4096;

/** The query after checking: canonical names only, `token` removed, booleans exactly 'true' or 'false'. */
export type CheckedQuery = Partial<Record<QueryName, string>>;

/**
 * Raw query → checked query, or a 400 naming every bad parameter. FC joins a repeated
 * parameter's values with commas (the HTTP trigger request struct,
 * https://www.alibabacloud.com/help/en/functioncompute/fc/http-trigger-invoking-function:
 * `"parameter2": "value1,value2"`), so a scalar given twice with different values
 * arrives as `a,b` and is refused; the same value twice is that value.
 */
export function checkQuery(raw: Record<string, string>): CheckedQuery {
  const out: CheckedQuery = {};
  const problems: ErrorDetail[] = [];
  const from = new Map<QueryName, string>();
  for (const [key, value] of Object.entries(raw)) {
    if (key === TOKEN) continue;
    const name = CANONICAL.get(key);
    const path = `?${key.slice(0, 64)}`;
    if (name === undefined) {
      problems.push({ path, message: `is not a known parameter; accepted: ${ACCEPTED_QUERY_NAMES.join(', ')}` });
      continue;
    }
    if (from.has(name)) {
      problems.push({ path, message: `repeats ?${from.get(name)} (give one of them)` });
      continue;
    }
    from.set(name, key);
    if (value.length > MAX_VALUE_LENGTH) {
      problems.push({ path, message: `is longer than ${MAX_VALUE_LENGTH} characters` });
      continue;
    }
    const text = LIST.has(name) ? value : single(value);
    if (text === undefined) {
      problems.push({ path, message: 'is given more than once with different values' });
      continue;
    }
    if (text.trim() === '') {
      problems.push({ path, message: 'is empty; leave the parameter out instead' });
      continue;
    }
    if (name === 'dryRun' && text !== 'true' && text !== 'false') {
      problems.push({ path, message: "must be exactly 'true' or 'false'" });
      continue;
    }
    out[name] = text;
  }
  if (problems.length > 0) {
    throw new RequestError(400, 'InvalidQuery', `the webhook URL's query string is invalid: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`.slice(0, 1000), problems);
  }
  return out;
}

/** `a` and `a,a` → `a`; `a,b` → undefined (two different values). */
function single(value: string): string | undefined {
  if (!value.includes(',')) return value;
  const parts = new Set(value.split(',').map((p) => p.trim()));
  return parts.size === 1 ? [...parts][0] : undefined;
}

/**
 * With a credential that does not cover the URL (an HMAC signature covers the signed bytes
 * only), any parameter present would let whoever replays the signed body choose what it
 * stops: refuse it and say where it belongs.
 */
export function refuseUnsignedSteering(query: CheckedQuery, method: string): void {
  const present = Object.keys(query) as QueryName[];
  if (present.length === 0) return;
  throw new RequestError(
    400,
    'QueryNotSigned',
    `the request was admitted by a ${method} signature, which covers the body and not the URL, so the query string may not steer the stop ` +
      `(${present.map((n) => `?${n}`).join(', ')}). Put these in the signed body (the alert's labels or annotations, or the request fields), ` +
      'or authenticate with a token (Authorization: Bearer or ?token=), which covers the whole request.',
    present.map((n) => ({ path: `?${n}`, message: 'is not covered by the signature; put it in the signed body or use a token-authenticated URL' })),
  );
}
