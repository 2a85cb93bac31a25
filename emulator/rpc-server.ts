import type { IncomingMessage, ServerResponse } from 'node:http';
import { verifyRpc, type AuthResult } from './auth.js';
import type { EmulatorContext } from './context.js';
import { ApiError, missingParameter } from './errors.js';
import { playFault } from './faults.js';
import type { KeyRecord } from './keys.js';
import { loggableParams, parseRpcRequest, type RpcRequest } from './rpc.js';
import { BodyTooLargeError, readBody, sendJson } from './util/http.js';
import { requestId as newRequestId } from './util/ids.js';
import { isoSeconds } from './util/time.js';

// The request pipeline shared by the RPC-style services (ECS, STS, KMS):
//   fault? → known action? → version → signature → action handler → JSON answer,
// with every request, answered or faulted, written to the request log.

export interface RpcCall {
  req: RpcRequest;
  params: Record<string, string>;
  key: KeyRecord;
  ctx: EmulatorContext;
  requestId: string;
  now: number;
}

/** Returns the response body without RequestId (added by the pipeline). */
export type RpcAction = (call: RpcCall) => Record<string, unknown> | Promise<Record<string, unknown>>;

export interface RpcServiceSpec {
  service: 'ecs' | 'sts' | 'kms';
  version: string;
  /** HostId in error bodies, as the real endpoint names itself. */
  hostId: string;
  /** Product name for the Recommend link. */
  product: string;
  actions: Readonly<Record<string, RpcAction>>;
}

export function rpcErrorBody(spec: RpcServiceSpec, requestId: string, code: string, message: string): Record<string, string> {
  return {
    RequestId: requestId,
    HostId: spec.hostId,
    Code: code,
    Message: message,
    Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(code)}&product=${spec.product}&requestId=${requestId}`,
  };
}

/** The log's view of an authentication: a nonce replay still counts as a valid signature. */
function logged(auth: AuthResult) {
  const valid = auth.signatureValid && (!auth.error || auth.error.code === 'SignatureNonceUsed');
  return { accessKeyId: auth.accessKeyId, securityToken: auth.securityToken, signatureValid: valid };
}

export function createRpcHandler(ctx: EmulatorContext, spec: RpcServiceSpec) {
  // Requests of this service being handled right now: the log tells a client that sends
  // calls side by side from one that sends them one after another.
  let inFlight = 0;
  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    inFlight++;
    ctx.log.inFlight++;
    try {
      await handleOne(req, res, inFlight);
    } finally {
      inFlight--;
      ctx.log.inFlight--;
    }
  };

  async function handleOne(req: IncomingMessage, res: ServerResponse, inFlightAtArrival: number): Promise<void> {
    const requestId = newRequestId();
    const headers = { 'x-acs-request-id': requestId };
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (err) {
      const status = err instanceof BodyTooLargeError ? 413 : 400;
      sendJson(res, status, rpcErrorBody(spec, requestId, 'InvalidRequest', String(err)), headers);
      return;
    }
    const rpc = parseRpcRequest(req, body);
    const entry = {
      time: isoSeconds(),
      service: spec.service,
      action: rpc.action,
      params: loggableParams(rpc.params),
      inFlight: inFlightAtArrival,
    };

    const fault = ctx.faults.take(spec.service, rpc.action, rpc.params);
    if (fault && !fault.apply) {
      // Dry-run verification only feeds the log; the nonce stays unused.
      const auth = verifyRpc(rpc, ctx.keys, { recordNonce: false });
      const outcome = await playFault(fault, res, requestId, (code, message) => rpcErrorBody(spec, requestId, code, message));
      if (outcome.kind === 'answered') {
        ctx.log.add({ ...entry, ...logged(auth), status: outcome.status, code: outcome.code });
        return;
      }
    }

    // The service's own answer (with `apply`, it takes effect even if a fault replaces it).
    let auth: AuthResult | undefined;
    let answer: { status: number; body: unknown; code?: string };
    try {
      if (!rpc.action) throw missingParameter('Action');
      const action = Object.hasOwn(spec.actions, rpc.action) ? spec.actions[rpc.action] : undefined;
      if (!action) throw new ApiError(404, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.');
      if (!rpc.version) throw missingParameter('Version');
      if (rpc.version !== spec.version) {
        throw new ApiError(400, 'InvalidVersion', `Specified parameter Version "${rpc.version}" is not valid.`);
      }
      auth = verifyRpc(rpc, ctx.keys, { recordNonce: true });
      if (auth.error) throw auth.error;
      const result = await action({ req: rpc, params: rpc.params, key: auth.key!, ctx, requestId, now: Date.now() });
      answer = { status: 200, body: { RequestId: requestId, ...result } };
    } catch (err) {
      const error = err instanceof ApiError ? err : new ApiError(500, 'InternalError', `The request processing has failed due to some unknown error: ${String(err)}`);
      answer = { status: error.status, body: rpcErrorBody(spec, requestId, error.code, error.message), code: error.code };
      // Refused before authentication: still tell the log who signed, and whether validly.
      auth ??= verifyRpc(rpc, ctx.keys, { recordNonce: false });
    }
    if (fault?.apply) {
      const outcome = await playFault(fault, res, requestId, (code, message) => rpcErrorBody(spec, requestId, code, message));
      if (outcome.kind === 'answered') {
        ctx.log.add({ ...entry, ...logged(auth), status: outcome.status, code: outcome.code });
        return;
      }
    }
    sendJson(res, answer.status, answer.body, headers);
    ctx.log.add({ ...entry, ...logged(auth), status: answer.status, code: answer.code });
  }
}
