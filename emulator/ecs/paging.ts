import { createHash } from 'node:crypto';
import { ApiError } from '../errors.js';
import { intParam } from './params.js';

// DescribeInvocations-style pagination: MaxResults + opaque NextToken, or the legacy
// PageNumber + PageSize. The token is a cursor (the sort key of the last item returned and
// a fingerprint of the filters), not an offset, so a caller that stops what it lists
// between pages neither skips nor repeats items.

export interface Page<T> {
  items: T[];
  /** '' when there is no further page. */
  nextToken: string;
  pageSize: number;
  pageNumber: number;
  totalCount: number;
}

type Key = number[];

function compare(a: Key, b: Key): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function fingerprint(filters: Record<string, string | undefined>): string {
  const text = JSON.stringify(Object.entries(filters).filter(([, v]) => v !== undefined).sort());
  return createHash('sha256').update(text).digest('base64url').slice(0, 12);
}

function encodeToken(key: Key, fp: string): string {
  return Buffer.from(JSON.stringify({ k: key, f: fp })).toString('base64url');
}

function decodeToken(token: string, fp: string): Key {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { k?: unknown; f?: unknown };
    if (Array.isArray(parsed.k) && parsed.k.every((n) => typeof n === 'number') && parsed.f === fp) return parsed.k;
  } catch {
    // fall through to the error
  }
  throw new ApiError(400, 'InvalidParam.NextToken', 'The specified parameter "NextToken" is not valid.');
}

/**
 * @param all   every matching item, already in listing order
 * @param keyOf a sort key that increases along `all`
 */
export function paginate<T>(all: T[], keyOf: (item: T) => Key, params: Record<string, string>, fp: string): Page<T> {
  const maxResults = intParam(params, 'MaxResults', { min: 1, max: 50 });
  const token = params['NextToken'];
  let start: number;
  let size: number;
  if (maxResults !== undefined || token) {
    size = maxResults ?? 10;
    if (token) {
      const after = decodeToken(token, fp);
      const i = all.findIndex((item) => compare(keyOf(item), after) > 0);
      start = i < 0 ? all.length : i;
    } else {
      start = 0;
    }
  } else {
    size = intParam(params, 'PageSize', { min: 1, max: 50 }) ?? 10;
    const pageNumber = intParam(params, 'PageNumber', { min: 1, max: 1_000_000 }) ?? 1;
    start = (pageNumber - 1) * size;
  }
  const items = all.slice(start, start + size);
  const more = start + size < all.length;
  return {
    items,
    nextToken: more ? encodeToken(keyOf(items[items.length - 1]!), fp) : '',
    pageSize: size,
    pageNumber: Math.floor(start / size) + 1,
    totalCount: all.length,
  };
}
