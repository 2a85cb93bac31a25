import { createHash, createHmac, randomBytes } from 'node:crypto';

// The floor: the least code that can make one authenticated ECS RPC call. Signature V3
// (ACS3-HMAC-SHA256) written from the published algorithm with node:crypto only, sent with
// the global fetch. The emulator verifies it exactly as it verifies the SDK's requests.
//
//   canonicalRequest = METHOD \n PATH \n canonicalQuery \n canonicalHeaders \n signedHeaders \n hex(sha256(body))
//   stringToSign     = "ACS3-HMAC-SHA256" \n hex(sha256(canonicalRequest))
//   Authorization    = ACS3-HMAC-SHA256 Credential=<AK>,SignedHeaders=<a;b>,Signature=hex(hmac-sha256(secret, stringToSign))

export interface AcsKeys {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export interface RpcCall {
  /** host[:port], exactly as sent in the Host header. */
  endpoint: string;
  protocol?: 'http' | 'https';
  action: string;
  version: string;
  params: Record<string, string>;
}

export interface SignedRequest {
  url: string;
  headers: Record<string, string>;
}

const ALGORITHM = 'ACS3-HMAC-SHA256';
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

/** RFC 3986 encoding: encodeURIComponent leaves !'()* alone, the signature does not. */
export function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** 2026-11-24T08:00:00Z: ISO 8601 without milliseconds. */
function acsDate(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function signRpc(call: RpcCall, keys: AcsKeys, now: Date = new Date()): SignedRequest {
  const query = Object.keys(call.params)
    .sort()
    .map((k) => `${rfc3986(k)}=${rfc3986(call.params[k]!)}`)
    .join('&');
  const headers: Record<string, string> = {
    host: call.endpoint,
    'x-acs-action': call.action,
    'x-acs-version': call.version,
    'x-acs-date': acsDate(now),
    'x-acs-signature-nonce': randomBytes(16).toString('hex'),
    'x-acs-content-sha256': EMPTY_SHA256,
  };
  if (keys.securityToken) headers['x-acs-security-token'] = keys.securityToken;
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((n) => `${n}:${headers[n]!.trim()}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = ['POST', '/', query, canonicalHeaders, signedHeaders, EMPTY_SHA256].join('\n');
  const stringToSign = `${ALGORITHM}\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
  const signature = createHmac('sha256', keys.accessKeySecret).update(stringToSign).digest('hex');
  headers.authorization = `${ALGORITHM} Credential=${keys.accessKeyId},SignedHeaders=${signedHeaders},Signature=${signature}`;
  // fetch sets Host itself from the URL (the same value that was signed).
  const { host: _host, ...sent } = headers;
  return { url: `${call.protocol ?? 'http'}://${call.endpoint}/?${query}`, headers: sent };
}

export interface RpcAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** One signed POST /?<params>, empty body; the answer's JSON. */
export async function callRpc(call: RpcCall, keys: AcsKeys): Promise<RpcAnswer> {
  const { url, headers } = signRpc(call, keys);
  const res = await fetch(url, { method: 'POST', headers });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { raw: text.slice(0, 200) };
  }
  return { status: res.status, body };
}

/** StopInvocation's RPC parameters (InstanceId.N, 1-based). */
export function stopInvocationCall(endpoint: string, regionId: string, invokeId: string, instanceIds: readonly string[] = []): RpcCall {
  const params: Record<string, string> = { RegionId: regionId, InvokeId: invokeId };
  instanceIds.forEach((id, i) => {
    params[`InstanceId.${i + 1}`] = id;
  });
  return { endpoint, action: 'StopInvocation', version: '2014-05-26', params };
}
