import { ApiError, SIGNATURE_MISMATCH_PREFIX, missingParameter } from './errors.js';
import type { KeyRecord, KeyStore } from './keys.js';
import type { RpcRequest } from './rpc.js';
import {
  ACS3_ALGORITHM,
  acs3CanonicalRequest,
  acs3Signature,
  acs3StringToSign,
  parseAcs3Authorization,
  sha256Hex,
} from './signing/acs3.js';
import { safeEqual } from './signing/encode.js';
import { v1Signature, v1StringToSign } from './signing/v1.js';
import { parseTime } from './util/time.js';

// Authenticates an RPC request the way the cloud's API gateway does: timestamp window,
// known key, STS token bound to its key and unexpired, signature, then nonce replay.
// Both signature versions are accepted; the SDK sends V3 (ACS3), AssumeRole sends V1.

const CLOCK_SKEW_MS = 15 * 60 * 1000;

/** Headers the SDK always signs; a V3 request that leaves one unsigned is refused. */
const REQUIRED_SIGNED = ['host', 'x-acs-action', 'x-acs-version', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256'];

export interface AuthResult {
  /** The key the request claims, known or not (for the request log). */
  accessKeyId?: string;
  securityToken: boolean;
  signatureValid: boolean;
  key?: KeyRecord;
  error?: ApiError;
}

export interface VerifyOptions {
  /** Remember the nonce (false for a dry run, e.g. when a fault answers instead). */
  recordNonce: boolean;
  now?: number;
}

export function verifyRpc(req: RpcRequest, keys: KeyStore, options: VerifyOptions): AuthResult {
  return req.scheme === 'acs3'
    ? verifyAcs3(req, keys, options)
    : req.scheme === 'v1'
      ? verifyV1(req, keys, options)
      : {
          securityToken: false,
          signatureValid: false,
          error: new ApiError(400, 'IncompleteSignature', 'The request signature does not conform to Aliyun standards.'),
        };
}

function first(req: RpcRequest, name: string): string | undefined {
  return req.headers[name]?.[0];
}

function verifyAcs3(req: RpcRequest, keys: KeyStore, options: VerifyOptions): AuthResult {
  const now = options.now ?? Date.now();
  const token = first(req, 'x-acs-security-token');
  const auth = parseAcs3Authorization(first(req, 'authorization') ?? '');
  const result: AuthResult = { accessKeyId: auth?.accessKeyId, securityToken: token !== undefined, signatureValid: false };
  const fail = (error: ApiError): AuthResult => ({ ...result, error });
  if (!auth) return fail(new ApiError(400, 'IncompleteSignature', 'The request signature does not conform to Aliyun standards.'));
  if (auth.algorithm !== ACS3_ALGORITHM) {
    return fail(new ApiError(400, 'InvalidSignatureMethod', `Specified signature method "${auth.algorithm}" is not supported.`));
  }
  const present = Object.keys(req.headers).filter((h) => h.startsWith('x-acs-'));
  for (const name of new Set([...REQUIRED_SIGNED, ...present])) {
    if (!req.headers[name]) return fail(new ApiError(400, 'IncompleteSignature', `The request header "${name}" is required.`));
    if (!auth.signedHeaders.includes(name)) {
      return fail(new ApiError(400, 'IncompleteSignature', `The request header "${name}" must be signed.`));
    }
  }
  const timeError = checkTimestamp(first(req, 'x-acs-date'), now);
  if (timeError) return fail(timeError);
  const key = keys.lookup(auth.accessKeyId);
  if (!key) return fail(keyNotFound());
  const headerKey = first(req, 'x-acs-accesskey-id');
  if (headerKey !== undefined && headerKey !== auth.accessKeyId) {
    return fail(new ApiError(400, 'InvalidSecurityToken.MismatchWithAccessKey', 'Specified SecurityToken mismatch with the AccessKey.'));
  }
  const tokenError = checkToken(key, token, keys, now);
  if (tokenError) return fail(tokenError);
  const hashedPayload = first(req, 'x-acs-content-sha256') ?? '';
  const stringToSign = acs3StringToSign(
    acs3CanonicalRequest({
      method: req.method,
      pathname: req.pathname,
      query: req.query,
      headers: req.headers,
      signedHeaders: auth.signedHeaders,
      hashedPayload,
    }),
  );
  if (!safeEqual(acs3Signature(key.accessKeySecret, stringToSign), auth.signature)) {
    return fail(new ApiError(400, 'SignatureDoesNotMatch', SIGNATURE_MISMATCH_PREFIX + stringToSign));
  }
  // The signed hash must be the body's: otherwise the body was changed after signing.
  if (!safeEqual(sha256Hex(req.body), hashedPayload.toLowerCase())) {
    return fail(new ApiError(400, 'SignatureDoesNotMatch', 'The x-acs-content-sha256 header does not match the request body.'));
  }
  return finish({ ...result, key }, auth.accessKeyId, first(req, 'x-acs-signature-nonce') ?? '', keys, options, now);
}

function verifyV1(req: RpcRequest, keys: KeyStore, options: VerifyOptions): AuthResult {
  const now = options.now ?? Date.now();
  const p = req.params;
  const token = p['SecurityToken'];
  const result: AuthResult = { accessKeyId: p['AccessKeyId'], securityToken: token !== undefined, signatureValid: false };
  const fail = (error: ApiError): AuthResult => ({ ...result, error });
  for (const name of ['AccessKeyId', 'Signature', 'SignatureMethod', 'SignatureNonce', 'Timestamp']) {
    if (!p[name]) return fail(missingParameter(name));
  }
  if (p['SignatureMethod'] !== 'HMAC-SHA1') {
    return fail(new ApiError(400, 'InvalidSignatureMethod', `Specified signature method "${p['SignatureMethod']}" is not supported.`));
  }
  if (p['SignatureVersion'] !== undefined && p['SignatureVersion'] !== '1.0') {
    return fail(new ApiError(400, 'InvalidSignatureVersion', `Specified signature version "${p['SignatureVersion']}" is not supported.`));
  }
  const timeError = checkTimestamp(p['Timestamp'], now);
  if (timeError) return fail(timeError);
  const key = keys.lookup(p['AccessKeyId']!);
  if (!key) return fail(keyNotFound());
  const tokenError = checkToken(key, token, keys, now);
  if (tokenError) return fail(tokenError);
  const stringToSign = v1StringToSign(req.method, [...req.query, ...req.form]);
  if (!safeEqual(v1Signature(key.accessKeySecret, stringToSign), p['Signature']!)) {
    return fail(new ApiError(400, 'SignatureDoesNotMatch', SIGNATURE_MISMATCH_PREFIX + stringToSign));
  }
  return finish({ ...result, key }, key.accessKeyId, p['SignatureNonce']!, keys, options, now);
}

function finish(
  result: AuthResult,
  accessKeyId: string,
  nonce: string,
  keys: KeyStore,
  options: VerifyOptions,
  now: number,
): AuthResult {
  const ok = { ...result, signatureValid: true };
  if (options.recordNonce && !keys.useNonce(accessKeyId, nonce, now)) {
    return { ...ok, error: new ApiError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.') };
  }
  return ok;
}

export function keyNotFound(): ApiError {
  return new ApiError(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
}

export function checkTimestamp(text: string | undefined, now: number): ApiError | undefined {
  const at = parseTime(text);
  if (at === undefined) {
    return new ApiError(400, 'InvalidTimeStamp.Format', 'Specified time stamp or date value is not well formatted.');
  }
  if (Math.abs(now - at) > CLOCK_SKEW_MS) {
    return new ApiError(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.');
  }
  return undefined;
}

/** STS keys only work with their own token, and only until they expire. */
export function checkToken(key: KeyRecord, token: string | undefined, keys: KeyStore, now: number): ApiError | undefined {
  if (key.kind !== 'sts') return undefined;
  if (!token) return new ApiError(400, 'InvalidSecurityToken.Malformed', 'Specified SecurityToken is malformed.');
  const owner = keys.tokenOwner(token);
  if (owner === undefined) return new ApiError(400, 'InvalidSecurityToken.Malformed', 'Specified SecurityToken is malformed.');
  if (owner !== key.accessKeyId) {
    return new ApiError(400, 'InvalidSecurityToken.MismatchWithAccessKey', 'Specified SecurityToken mismatch with the AccessKey.');
  }
  if (key.expiresAt !== undefined && now >= key.expiresAt) {
    return new ApiError(400, 'InvalidSecurityToken.Expired', 'Specified SecurityToken is expired.');
  }
  return undefined;
}
