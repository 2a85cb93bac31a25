import { RequestError } from '../errors.js';
import { isRecord } from '../sources/body.js';
import type { TriggerKind } from '../types.js';

// FC 3.0 hands the handler raw bytes. This module alone knows the three shapes they can
// take (HTTP trigger event, timer event, any other event) and turns them into one
// `Decoded` value the rest of the pipeline reads.

export const BODY_LIMIT_BYTES = 256 * 1024;

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

export function decodeEvent(event: Buffer | string | object): Decoded {
  const bytes = Buffer.isBuffer(event) ? event : Buffer.from(typeof event === 'string' ? event : JSON.stringify(event));
  const value = tryParse(bytes);
  if (isHttpEvent(value)) return decodeHttp(value);
  if (value === undefined && bytes.length > MAX_ENVELOPE_BYTES && looksLikeHttpEnvelope(bytes)) {
    // Too big to be worth parsing, but still an HTTP request: it must get an HTTP 413.
    return { ...base('http'), method: 'POST', body: Buffer.alloc(0), invalid: tooLarge() };
  }
  if (isTimerEvent(value)) {
    return { ...base('timer'), body: Buffer.from(value.payload, 'utf8'), timer: { triggerName: value.triggerName, triggerTime: value.triggerTime } };
  }
  if (bytes.length > BODY_LIMIT_BYTES) throw tooLarge();
  return { ...base('event'), body: bytes };
}

function base(trigger: TriggerKind): Omit<Decoded, 'body'> {
  return { trigger, method: 'INVOKE', headers: {}, query: {}, contentType: '' };
}

interface HttpEvent {
  headers?: Record<string, unknown>;
  queryParameters?: Record<string, unknown>;
  body?: unknown;
  isBase64Encoded?: unknown;
  requestContext: { http: { method?: unknown; sourceIp?: unknown } };
}

function isHttpEvent(v: unknown): v is HttpEvent {
  return isRecord(v) && isRecord(v.requestContext) && isRecord(v.requestContext.http) && typeof v.requestContext.http.method === 'string';
}

function isTimerEvent(v: unknown): v is { triggerTime: string; triggerName: string; payload: string } {
  return isRecord(v) && typeof v.triggerTime === 'string' && typeof v.triggerName === 'string' && typeof v.payload === 'string';
}

function decodeHttp(e: HttpEvent): Decoded {
  const method = String(e.requestContext.http.method).toUpperCase();
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(e.headers ?? {})) {
    const text = Array.isArray(value) ? value.map(String).join(', ') : value === undefined || value === null ? '' : String(value);
    headers[name.toLowerCase()] = text;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(e.queryParameters ?? {})) {
    query[name] = Array.isArray(value) ? String(value[0] ?? '') : String(value ?? '');
  }
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

/** Checks that depend only on the HTTP envelope, run before authentication reads the body. */
export function checkHttpEnvelope(d: Decoded): void {
  if (d.method !== 'POST') {
    throw new RequestError(405, 'MethodNotAllowed', `method ${d.method} is not allowed; send POST`, [], { allow: 'POST' });
  }
  if (d.body.length > BODY_LIMIT_BYTES) throw tooLarge();
  if (d.invalid) throw d.invalid;
}

const tooLarge = () =>
  new RequestError(413, 'PayloadTooLarge', `body is larger than the ${BODY_LIMIT_BYTES / 1024} KiB limit`);

/** An HTTP envelope carries at most a base64 body of the limit plus headers. */
const MAX_ENVELOPE_BYTES = 8 * BODY_LIMIT_BYTES;

function looksLikeHttpEnvelope(bytes: Buffer): boolean {
  return bytes[0] === 0x7b && bytes.includes('"requestContext"') && bytes.includes('"rawPath"');
}

function tryParse(bytes: Buffer): unknown {
  // Only the envelope is parsed here; a body that is not JSON is the adapters' business.
  if (bytes.length === 0 || bytes.length > MAX_ENVELOPE_BYTES) return undefined;
  const first = bytes[0];
  if (first !== 0x7b) return undefined; // '{': HTTP and timer envelopes are objects
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
