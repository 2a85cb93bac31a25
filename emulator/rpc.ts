import type { IncomingMessage } from 'node:http';
import { isFormContentType, parsePairs } from './util/http.js';

// One RPC-style request (ECS and STS), parsed once: where the parameters came from matters
// to the signature, so the raw pairs are kept beside the merged map.

export type SignatureScheme = 'acs3' | 'v1' | 'none';

export interface RpcRequest {
  method: string;
  /** Path exactly as sent, without the query. */
  pathname: string;
  query: Array<[string, string]>;
  form: Array<[string, string]>;
  /** Query and form parameters merged; the first occurrence wins. */
  params: Record<string, string>;
  /** Header values by lower-case name, each occurrence separately. */
  headers: Record<string, string[] | undefined>;
  body: Buffer;
  action: string;
  version: string;
  scheme: SignatureScheme;
}

export function parseRpcRequest(req: IncomingMessage, body: Buffer): RpcRequest {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const pathname = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? [] : parsePairs(url.slice(q + 1));
  const form = isFormContentType(req.headers['content-type']) && body.length ? parsePairs(body.toString('utf8')) : [];
  const params: Record<string, string> = {};
  for (const [k, v] of [...query, ...form]) if (!(k in params)) params[k] = v;
  const headers = req.headersDistinct as Record<string, string[] | undefined>;
  const first = (name: string) => headers[name]?.[0];
  const authorization = first('authorization') ?? '';
  const scheme: SignatureScheme = authorization.startsWith('ACS3-') ? 'acs3' : 'Signature' in params ? 'v1' : 'none';
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    pathname,
    query,
    form,
    params,
    headers,
    body,
    action: first('x-acs-action') ?? params['Action'] ?? '',
    version: first('x-acs-version') ?? params['Version'] ?? '',
    scheme,
  };
}

/** Parameters worth logging: the API's own, without signature material or tokens. */
export function loggableParams(params: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) if (k !== 'Signature' && k !== 'SecurityToken') out[k] = v;
  return out;
}
