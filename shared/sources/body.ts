import { badRequest } from '../errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes → text, refusing invalid UTF-8 rather than guessing. */
export function decodeText(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    throw badRequest('body is not valid UTF-8', [{ path: '/', message: 'is not valid UTF-8' }]);
  }
}

/** Bytes → JSON value with a 400 that says where parsing stopped. */
export function parseJson(body: Buffer): unknown {
  const text = decodeText(body);
  if (text.trim() === '') throw badRequest('body is empty', [{ path: '/', message: 'a JSON body is required' }]);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const reason = err instanceof Error ? err.message : 'unparseable';
    throw badRequest('body is not valid JSON', [{ path: '/', message: reason.slice(0, 200) }]);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `?dryRun=`, already checked to be exactly 'true' or 'false' (triggers/query.ts): a typo never means "for real". */
export function queryFlag(value: string | undefined): boolean | undefined {
  return value === 'true' ? true : value === 'false' ? false : undefined;
}
