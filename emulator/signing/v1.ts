import { createHmac } from 'node:crypto';
import { percentEncode, sortPairs } from './encode.js';

// Signature V1 (HMAC-SHA1) for RPC APIs, as `@alicloud/openapi-core` getRPCSignature and the
// `@alicloud/credentials` AssumeRole call build it:
//   stringToSign = METHOD & percentEncode('/') & percentEncode(canonicalized)
//   canonicalized = sorted `percentEncode(k)=percentEncode(v)` over every query and form
//                   parameter except Signature, joined by '&'
//   signature = base64(hmac-sha1(secret + '&', stringToSign))

export function v1StringToSign(method: string, params: ReadonlyArray<readonly [string, string]>): string {
  const canonicalized = sortPairs(params.filter(([k]) => k !== 'Signature'))
    .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
    .join('&');
  return `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonicalized)}`;
}

export function v1Signature(secret: string, stringToSign: string): string {
  return createHmac('sha1', secret + '&').update(stringToSign).digest('base64');
}
