import { gunzipSync, inflateSync } from 'node:zlib';
import { DEFAULT_MAX_BODY_BYTES } from '../config.js';
import { RequestError } from '../errors.js';
import type { FcHttpEvent } from '../fc.js';
import { isRecord } from '../sources/body.js';
import type { TriggerKind } from '../types.js';

// FC 3.0 hands the handler raw bytes. This module alone knows the three shapes they can
// take (HTTP trigger event, timer event, any other event) and turns them into one
// `Decoded` value the rest of the pipeline reads.

export interface Decoded {
  trigger: TriggerKind;
  method: string;
  /** Lower-cased header names (http only). */
  headers: Record<string, string>;
  /** Query with `token` still present: authentication needs it, adapters must not see it. */
  query: Record<string, string>;
  body: Buffer;
  contentType: string;
  /** The HTTP caller's address, for the audit line. */
  sourceIp?: string;
  /** Why the HTTP envelope is unusable; raised by checkHttpEnvelope so the answer is still HTTP. */
  invalid?: RequestError;
  timer?: { triggerName: string; triggerTime: string };
}

/** `limit`: the largest body accepted (MAX_BODY_BYTES), after Content-Encoding is undone. */
export function decodeEvent(event: Buffer | string | object, limit: number = DEFAULT_MAX_BODY_BYTES): Decoded {
  const bytes = Buffer.isBuffer(event) ? event : Buffer.from(typeof event === 'string' ? event : JSON.stringify(event));
  // An HTTP envelope carries at most a base64 body of the limit (4/3) plus headers.
  const envelopeLimit = 2 * limit + 64 * 1024;
  const value = tryParse(bytes, envelopeLimit);
  if (isHttpEvent(value)) return decodeHttp(value);
  if (value === undefined && bytes.length > envelopeLimit && looksLikeHttpEnvelope(bytes)) {
    // Too big to be worth parsing, but still an HTTP request: it must get an HTTP 413.
    return { ...base('http'), method: 'POST', body: Buffer.alloc(0), invalid: tooLarge(limit) };
  }
  if (isTimerEvent(value)) {
    return { ...base('timer'), body: Buffer.from(value.payload, 'utf8'), timer: { triggerName: value.triggerName, triggerTime: value.triggerTime } };
  }
  if (bytes.length > limit) throw tooLarge(limit);
  return { ...base('event'), body: bytes };
}

function base(trigger: TriggerKind): Omit<Decoded, 'body'> {
  return { trigger, method: 'INVOKE', headers: {}, query: {}, contentType: '' };
}

/** An FcHttpEvent as received: every field is checked before it is trusted. */
interface HttpEvent {
  headers?: Partial<Record<string, unknown>>;
  queryParameters?: Partial<Record<string, unknown>>;
  body?: unknown;
  isBase64Encoded?: unknown;
  requestContext: { http: { [K in keyof FcHttpEvent['requestContext']['http']]?: unknown } };
}

function isHttpEvent(v: unknown): v is HttpEvent {
  return isRecord(v) && isRecord(v.requestContext) && isRecord(v.requestContext.http) && typeof v.requestContext.http.method === 'string';
}

function isTimerEvent(v: unknown): v is { triggerTime: string; triggerName: string; payload: string } {
  return isRecord(v) && typeof v.triggerTime === 'string' && typeof v.triggerName === 'string' && typeof v.payload === 'string';
}

function decodeHttp(e: HttpEvent): Decoded {
  const method = String(e.requestContext.http.method).toUpperCase();
  // fromEntries, not assignment: a name such as `__proto__` stays a plain (refusable) entry.
  const headers: Record<string, string> = Object.fromEntries(
    Object.entries(e.headers ?? {}).map(([name, value]) => [
      name.toLowerCase(),
      Array.isArray(value) ? value.map(String).join(', ') : value === undefined || value === null ? '' : String(value),
    ]),
  );
  // FC joins a repeated parameter's values with commas; an array (another front end) is read the same way.
  const query: Record<string, string> = Object.fromEntries(
    Object.entries(e.queryParameters ?? {}).map(([name, value]) => [name, Array.isArray(value) ? value.map(String).join(',') : String(value ?? '')]),
  );
  const rawBody = typeof e.body === 'string' ? e.body : '';
  // A body FC marked base64 but that is not base64 would decode to junk; refuse it plainly.
  // Line breaks removed first: a pattern allowing them inside would backtrack for minutes.
  const badBase64 = e.isBase64Encoded === true && !/^[A-Za-z0-9+/]*={0,2}$/.test(rawBody.replace(/[\r\n]/g, '').trimEnd());
  const body = e.isBase64Encoded === true && !badBase64 ? Buffer.from(rawBody, 'base64') : Buffer.from(rawBody, 'utf8');
  const decoded: Decoded = {
    trigger: 'http',
    method,
    headers,
    query,
    body,
    contentType: (headers['content-type'] ?? '').split(';')[0].trim().toLowerCase(),
    sourceIp: typeof e.requestContext.http.sourceIp === 'string' ? e.requestContext.http.sourceIp : undefined,
  };
  if (badBase64) {
    decoded.invalid = new RequestError(400, 'InvalidRequest', 'body is marked base64-encoded but is not base64', [{ path: '/', message: 'is not base64' }]);
  }
  return decoded;
}

/**
 * Checks that depend only on the HTTP envelope, run before authentication reads the body;
 * undoes Content-Encoding, so signatures are checked over the bytes the sender signed.
 * Refusals here say nothing configured (no account, region or limit beyond the size).
 */
export function checkHttpEnvelope(d: Decoded, limit: number = DEFAULT_MAX_BODY_BYTES): void {
  if (d.method !== 'POST') {
    throw new RequestError(405, 'MethodNotAllowed', `method ${d.method} is not allowed; send POST`, [], { allow: 'POST' });
  }
  if (d.invalid) throw d.invalid;
  if (d.body.length > limit) throw tooLarge(limit);
  d.body = decodeContent(d.body, d.headers['content-encoding'], limit);
}

const tooLarge = (limit: number) =>
  new RequestError(413, 'PayloadTooLarge', `body is larger than the ${formatBytes(limit)} limit (MAX_BODY_BYTES)`);

const formatBytes = (n: number) => (n % (1024 * 1024) === 0 ? `${n / 1024 / 1024} MiB` : n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`);

/** gzip and deflate (RFC 9110 §8.4.1), decompressed to at most `limit` bytes; identity as is; anything else 415. */
function decodeContent(body: Buffer, header: string | undefined, limit: number): Buffer {
  const codings = (header ?? '').split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return body;
  const coding = codings[0];
  if (codings.length > 1 || !['gzip', 'x-gzip', 'deflate'].includes(coding)) {
    throw new RequestError(415, 'UnsupportedMediaType', `Content-Encoding '${(header ?? '').slice(0, 40)}' is not accepted; send gzip, deflate or identity`, [
      { path: 'header content-encoding', message: 'must be gzip, deflate or identity' },
    ]);
  }
  try {
    return coding === 'deflate' ? inflateSync(body, { maxOutputLength: limit }) : gunzipSync(body, { maxOutputLength: limit });
  } catch (err) {
    if (err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limit);
    throw new RequestError(400, 'InvalidRequest', `body is not ${coding}-encoded although Content-Encoding says so`, [
      { path: 'header content-encoding', message: `the body is not valid ${coding} data` },
    ]);
  }
}

function looksLikeHttpEnvelope(bytes: Buffer): boolean {
  return bytes[0] === 0x7b && bytes.includes('"requestContext"') && bytes.includes('"rawPath"');
}

function tryParse(bytes: Buffer, limit: number): unknown {
  // Only the envelope is parsed here; a body that is not JSON is the adapters' business.
  if (bytes.length === 0 || bytes.length > limit) return undefined;
  const first = bytes[0];
  if (first !== 0x7b) return undefined; // '{': HTTP and timer envelopes are objects
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
