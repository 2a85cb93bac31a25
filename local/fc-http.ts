import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FcHttpEvent, FcHttpResponse } from '../shared/fc.js';

// Two pure translators, as FC 3.0 does them: an incoming HTTP request → the HTTP trigger
// event the handler receives, and the handler's return value → the HTTP response.
// The wire types are shared/fc.ts.

// ignoreBOM: the body must reach the handler byte for byte (signatures cover a leading BOM).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** FC shows header names in canonical case (Content-Type), one value each. */
function canonical(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

export function toFcEvent(req: IncomingMessage, body: Buffer, accountId: string, requestId: string = randomUUID()): FcHttpEvent {
  const url = new URL(req.url ?? '/', 'http://local');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[canonical(name)] = Array.isArray(value) ? value.join(', ') : value;
  }
  // FC joins a repeated parameter's values with commas ("parameter2": "value1,value2",
  // https://www.alibabacloud.com/help/en/functioncompute/fc/http-trigger-invoking-function).
  const joined = new Map<string, string>();
  for (const [k, v] of url.searchParams) joined.set(k, joined.has(k) ? `${joined.get(k)},${v}` : v);
  const queryParameters: Record<string, string> = Object.fromEntries(joined);
  let text: string | undefined;
  try {
    text = utf8.decode(body);
  } catch {
    text = undefined; // binary: FC hands it over base64-encoded
  }
  const host = req.headers.host ?? 'localhost';
  const now = new Date();
  return {
    version: 'v1',
    rawPath: url.pathname,
    headers,
    queryParameters,
    body: text ?? body.toString('base64'),
    isBase64Encoded: text === undefined,
    requestContext: {
      accountId,
      domainName: host,
      domainPrefix: host.split('.')[0],
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? '',
      },
      requestId,
      time: now.toISOString(),
      timeEpoch: String(now.getTime()),
    },
  };
}

export function fromFcResult(result: unknown): { status: number; headers: Record<string, string>; body: Buffer } {
  if (typeof result === 'object' && result !== null && 'statusCode' in result) {
    const r = result as Partial<FcHttpResponse>;
    const body = r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body, r.isBase64Encoded ? 'base64' : 'utf8');
    return { status: r.statusCode ?? 200, headers: r.headers ?? {}, body };
  }
  // FC returns a plain value as the body with 200.
  const body = Buffer.from(typeof result === 'string' ? result : JSON.stringify(result ?? null));
  return { status: 200, headers: { 'content-type': 'application/json' }, body };
}
