import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkTimestamp, checkToken, keyNotFound } from './auth.js';
import type { EmulatorContext } from './context.js';
import { ApiError } from './errors.js';
import { playFault } from './faults.js';
import { ACCOUNT_ID } from './identity.js';
import {
  eventBridgeSignature,
  eventBridgeStringToSign,
  parseEventBridgeAuthorization,
} from './signing/eventbridge.js';
import { safeEqual } from './signing/encode.js';
import { BodyTooLargeError, parsePairs, readBody, sendJson } from './util/http.js';
import { randomFrom, requestId as newRequestId } from './util/ids.js';
import { isoSeconds } from './util/time.js';
import type { LoggedRequest } from './types.js';

// The EventBridge data plane as `@alicloud/eventbridge` calls it: POST /openapi/putEvents
// with a JSON array of CloudEvents, signed `acs:<AK>:<sig>` (see signing/eventbridge.ts).
// Accepted events are kept for `events()`. Errors use the lower-case keys the SDK reads
// (code/message/requestId), plus the upper-case ones the other services use.

const PUT_EVENTS_PATHS = new Set(['/openapi/putEvents', '/openapi/v2/putEvents']);

function errorBody(requestId: string, code: string, message: string) {
  return { requestId, code, message, RequestId: requestId, Code: code, Message: message };
}

interface AuthOutcome {
  accessKeyId?: string;
  securityToken: boolean;
  signatureValid: boolean;
  error?: ApiError;
}

function authenticate(req: IncomingMessage, pathname: string, query: Array<[string, string]>, ctx: EmulatorContext, recordNonce: boolean): AuthOutcome {
  const now = Date.now();
  const h = req.headers;
  const token = typeof h['x-acs-security-token'] === 'string' ? h['x-acs-security-token'] : undefined;
  const auth = parseEventBridgeAuthorization(typeof h.authorization === 'string' ? h.authorization : '');
  const base: AuthOutcome = { accessKeyId: auth?.accessKeyId, securityToken: token !== undefined, signatureValid: false };
  const fail = (error: ApiError): AuthOutcome => ({ ...base, error });
  if (!auth) return fail(new ApiError(400, 'IncompleteSignature', 'The request signature does not conform to Aliyun standards.'));
  const timeError = checkTimestamp(typeof h.date === 'string' ? h.date : undefined, now);
  if (timeError) return fail(timeError);
  const key = ctx.keys.lookup(auth.accessKeyId);
  if (!key) return fail(keyNotFound());
  const tokenError = checkToken(key, token, ctx.keys, now);
  if (tokenError) return fail(tokenError);
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(h)) headers[name] = Array.isArray(value) ? value.join(',') : value;
  const stringToSign = eventBridgeStringToSign({ method: req.method ?? 'POST', pathname, query, headers });
  if (!safeEqual(eventBridgeSignature(key.accessKeySecret, stringToSign), auth.signature)) {
    return fail(new ApiError(400, 'SignatureDoesNotMatch', `The request signature does not match. server string to sign is:${stringToSign}`));
  }
  const ok = { ...base, signatureValid: true };
  if (recordNonce && !ctx.keys.useNonce(auth.accessKeyId, headers['x-acs-signature-nonce'] ?? '', now)) {
    return { ...ok, error: new ApiError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.') };
  }
  return ok;
}

interface Entry {
  EventId: string;
  TraceId: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

function putEvents(body: Buffer, ctx: EmulatorContext): Record<string, unknown> {
  let events: unknown;
  try {
    events = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ApiError(400, 'InvalidArgument', 'The request body is not a JSON array of CloudEvents.');
  }
  if (!Array.isArray(events) || events.length === 0) {
    throw new ApiError(400, 'InvalidArgument', 'The request body is not a JSON array of CloudEvents.');
  }
  const entries: Entry[] = events.map((event: unknown) => {
    const e = (event ?? {}) as Record<string, unknown>;
    const id = typeof e['id'] === 'string' ? e['id'] : '';
    const traceId = randomFrom('0123456789abcdef', 32);
    const missing = ['id', 'source', 'type', 'specversion', 'aliyuneventbusname'].filter(
      (k) => typeof e[k] !== 'string' || e[k] === '',
    );
    if (missing.length) {
      return { EventId: id, TraceId: traceId, ErrorCode: 'InvalidArgument', ErrorMessage: `Missing CloudEvents attribute(s): ${missing.join(', ')}.` };
    }
    if (e['specversion'] !== '1.0') {
      return { EventId: id, TraceId: traceId, ErrorCode: 'InvalidArgument', ErrorMessage: 'specversion must be 1.0.' };
    }
    ctx.events.push(e);
    return { EventId: id, TraceId: traceId };
  });
  return {
    ResourceOwnerAccountId: ACCOUNT_ID,
    FailedEntryCount: entries.filter((e) => e.ErrorCode).length,
    EntryList: entries,
  };
}

export function createEventBridgeHandler(ctx: EmulatorContext) {
  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    const headers = { 'x-acs-request-id': requestId, 'x-eventbridge-request-id': requestId };
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? [] : parsePairs(url.slice(q + 1));
    const last = pathname.split('/').pop() ?? '';
    const action = PUT_EVENTS_PATHS.has(pathname) ? 'PutEvents' : last.charAt(0).toUpperCase() + last.slice(1);
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (err) {
      const status = err instanceof BodyTooLargeError ? 413 : 400;
      sendJson(res, status, errorBody(requestId, 'InvalidArgument', String(err)), headers);
      return;
    }
    const entry: Omit<LoggedRequest, 'status' | 'signatureValid'> = {
      time: isoSeconds(),
      service: 'eventbridge',
      action,
      params: {},
    };
    const fault = ctx.faults.take('eventbridge', action);
    if (fault) {
      const auth = authenticate(req, pathname, query, ctx, false);
      const outcome = await playFault(fault, res, requestId, (code, message) => errorBody(requestId, code, message));
      if (outcome.kind === 'answered') {
        ctx.log.add({ ...entry, accessKeyId: auth.accessKeyId, securityToken: auth.securityToken, signatureValid: auth.signatureValid && !auth.error, status: outcome.status, code: outcome.code });
        return;
      }
    }
    let auth: AuthOutcome = { securityToken: false, signatureValid: false };
    try {
      if (!PUT_EVENTS_PATHS.has(pathname) || req.method !== 'POST') {
        throw new ApiError(404, 'InvalidAction.NotFound', `The emulator serves only POST /openapi/putEvents, not ${req.method} ${pathname}.`);
      }
      auth = authenticate(req, pathname, query, ctx, true);
      if (auth.error) throw auth.error;
      const result = putEvents(body, ctx);
      entry.params = { EventCount: String((result['EntryList'] as Entry[]).length) };
      sendJson(res, 200, { RequestId: requestId, ...result }, headers);
      ctx.log.add({ ...entry, accessKeyId: auth.accessKeyId, securityToken: auth.securityToken, signatureValid: true, status: 200 });
    } catch (err) {
      const error = err instanceof ApiError ? err : new ApiError(500, 'InternalError', String(err));
      sendJson(res, error.status, errorBody(requestId, error.code, error.message), headers);
      ctx.log.add({ ...entry, accessKeyId: auth.accessKeyId, securityToken: auth.securityToken, signatureValid: auth.signatureValid, status: error.status, code: error.code });
    }
  };
}
