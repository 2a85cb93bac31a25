import { createHash, createHmac } from 'node:crypto';
import { percentEncode, sortPairs } from './encode.js';

// Signature V3 (ACS3-HMAC-SHA256), as `@alicloud/openapi-core` utils.getAuthorization builds
// it:
//   canonicalRequest = METHOD \n URI \n canonicalQuery \n canonicalHeaders \n
//                      signedHeaders \n hex(sha256(body))
//   canonicalQuery   = sorted `key=percentEncode(value)` joined by '&' (keys NOT encoded)
//   canonicalHeaders = `name:value\n` for host, content-type and every x-acs-* header,
//                      lower-cased names, sorted; repeated headers joined by ','
//   stringToSign     = 'ACS3-HMAC-SHA256' \n hex(sha256(canonicalRequest))
//   signature        = hex(hmac-sha256(secret, stringToSign))

export const ACS3_ALGORITHM = 'ACS3-HMAC-SHA256';

export interface Acs3Authorization {
  algorithm: string;
  accessKeyId: string;
  signedHeaders: string[];
  signature: string;
}

/** Parses `ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=a;b,Signature=hex`. */
export function parseAcs3Authorization(value: string): Acs3Authorization | undefined {
  const space = value.indexOf(' ');
  if (space <= 0) return undefined;
  const algorithm = value.slice(0, space);
  const fields = new Map<string, string>();
  for (const part of value.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const accessKeyId = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!accessKeyId || signedHeaders === undefined || !signature) return undefined;
  return {
    algorithm,
    accessKeyId,
    signedHeaders: signedHeaders.split(';').map((h) => h.trim().toLowerCase()).filter(Boolean),
    signature,
  };
}

export interface Acs3Input {
  method: string;
  /** The path as sent on the wire, e.g. '/'. */
  pathname: string;
  query: ReadonlyArray<readonly [string, string]>;
  /** Header values by lower-case name (each occurrence separately). */
  headers: Readonly<Record<string, readonly string[] | undefined>>;
  signedHeaders: readonly string[];
  hashedPayload: string;
}

export function acs3CanonicalRequest(input: Acs3Input): string {
  const uri = input.pathname.replace(/\+/g, '%20').replace(/\*/g, '%2A').replace(/%7E/g, '~');
  const query = sortPairs(input.query)
    .map(([k, v]) => `${k}=${percentEncode(v)}`)
    .join('&');
  const names = [...new Set(input.signedHeaders)].sort();
  const headers = names
    .map((name) => {
      const values = (input.headers[name] ?? []).map((v) => v.trim()).sort();
      return `${name}:${values.join(',')}\n`;
    })
    .join('');
  return [input.method.toUpperCase(), uri, query, headers, names.join(';'), input.hashedPayload].join('\n');
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function acs3StringToSign(canonicalRequest: string): string {
  return `${ACS3_ALGORITHM}\n${sha256Hex(canonicalRequest)}`;
}

export function acs3Signature(secret: string, stringToSign: string): string {
  return createHmac('sha256', secret).update(stringToSign).digest('hex');
}
