import { createHmac } from 'node:crypto';
import { sortPairs } from './encode.js';

// The EventBridge data-plane signature, as `@alicloud/eventbridge-util` builds it:
//   stringToSign = METHOD \n Content-MD5 \n Content-Type \n Date \n
//                  `name:value\n` for each x-acs-* header (sorted) + resource
//   resource     = pathname [+ '?' + sorted raw `k=v` joined by '&']
//   Authorization: `acs:<AccessKeyId>:<base64(hmac-sha1(secret, stringToSign))>`
// The body is not covered (no Content-MD5 is sent), as in the SDK.

export interface EventBridgeSignInput {
  method: string;
  pathname: string;
  query: ReadonlyArray<readonly [string, string]>;
  /** Lower-case header names. */
  headers: Readonly<Record<string, string | undefined>>;
}

export function eventBridgeStringToSign(input: EventBridgeSignInput): string {
  const h = input.headers;
  const head = `${input.method.toUpperCase()}\n${h['content-md5'] ?? ''}\n${h['content-type'] ?? ''}\n${h['date'] ?? ''}\n`;
  const acsHeaders = Object.keys(h)
    .filter((name) => name.startsWith('x-acs-'))
    .sort()
    .map((name) => `${name}:${(h[name] ?? '').replace(/[\t\n\r\f]/g, ' ').trim()}\n`)
    .join('');
  const query = sortPairs(input.query).map(([k, v]) => `${k}=${v}`);
  const resource = query.length ? `${input.pathname}?${query.join('&')}` : input.pathname;
  return head + acsHeaders + resource;
}

export function eventBridgeSignature(secret: string, stringToSign: string): string {
  return createHmac('sha1', secret).update(Buffer.from(stringToSign, 'utf8')).digest('base64');
}

/** Parses `acs:<AccessKeyId>:<signature>`. */
export function parseEventBridgeAuthorization(value: string): { accessKeyId: string; signature: string } | undefined {
  if (!value.startsWith('acs:')) return undefined;
  const rest = value.slice(4);
  const colon = rest.lastIndexOf(':');
  if (colon <= 0) return undefined;
  return { accessKeyId: rest.slice(0, colon), signature: rest.slice(colon + 1) };
}
