import type { ServerResponse } from 'node:http';
import { sendJson, sendRaw } from './util/http.js';
import { sleep } from './util/time.js';
import type { Fault, Service } from './types.js';

// Injected failures. The first fault (in insertion order) that matches the request's
// service and action and still has `times` left answers instead of the service.

interface ActiveFault {
  fault: Fault;
  remaining: number;
  skip: number;
}

export class FaultRegistry {
  private faults: ActiveFault[] = [];

  add(fault: Fault): void {
    validateFault(fault);
    this.faults.push({ fault: { ...fault }, remaining: fault.times ?? Infinity, skip: fault.skip ?? 0 });
  }

  clear(): void {
    this.faults = [];
  }

  /** Takes one use of the first matching fault, if any (a fault still skipping lets the request by). */
  take(service: Service, action: string, params: Record<string, string> = {}): Fault | undefined {
    const hit = this.faults.find((f) => {
      const matches =
        f.remaining > 0 &&
        f.fault.service === service &&
        (f.fault.action === undefined || f.fault.action === action) &&
        Object.entries(f.fault.params ?? {}).every(([k, v]) => params[k] === v);
      if (matches && f.skip > 0) {
        f.skip -= 1;
        return false;
      }
      return matches;
    });
    if (!hit) return undefined;
    hit.remaining -= 1;
    if (hit.remaining <= 0) this.faults = this.faults.filter((f) => f !== hit);
    return hit.fault;
  }
}

function validateFault(fault: Fault): void {
  if (!fault || !['ecs', 'sts', 'eventbridge', 'kms'].includes(fault.service)) {
    throw new Error('fault.service must be one of ecs, sts, eventbridge, kms');
  }
  if (fault.times !== undefined && !(Number.isInteger(fault.times) && fault.times > 0)) {
    throw new Error('fault.times must be a positive integer');
  }
  if (fault.status !== undefined && !(Number.isInteger(fault.status) && fault.status >= 100 && fault.status <= 599)) {
    throw new Error('fault.status must be an HTTP status');
  }
  if (fault.skip !== undefined && !(Number.isInteger(fault.skip) && fault.skip >= 0)) {
    throw new Error('fault.skip must be a non-negative integer');
  }
  if (fault.params !== undefined && (typeof fault.params !== 'object' || fault.params === null || !Object.values(fault.params).every((v) => typeof v === 'string'))) {
    throw new Error('fault.params must map parameter names to strings');
  }
  for (const name of ['latencyMs', 'retryAfterMs'] as const) {
    const v = fault[name];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new Error(`fault.${name} must be a non-negative number`);
  }
}

export type FaultOutcome =
  /** Nothing left to do: the fault answered (or reset the connection). */
  | { kind: 'answered'; status: number; code?: string }
  /** Only latency: carry on with the normal answer. */
  | { kind: 'continue' };

/**
 * Plays a fault. `errorBody` shapes the JSON error as the faulted service would (ECS/STS
 * use Code/Message/RequestId; EventBridge's SDK reads code/message/requestId).
 */
export async function playFault(
  fault: Fault,
  res: ServerResponse,
  requestId: string,
  errorBody: (code: string, message: string) => unknown,
): Promise<FaultOutcome> {
  if (fault.latencyMs) await sleep(fault.latencyMs);
  if (fault.reset) {
    res.socket?.destroy();
    return { kind: 'answered', status: 0 };
  }
  if (fault.status === undefined) return { kind: 'continue' };
  const headers: Record<string, string> = { 'x-acs-request-id': requestId };
  if (fault.retryAfterMs !== undefined) {
    // openapi-core hands this number, as milliseconds, to its backoff as the delay.
    headers['x-acs-retry-after'] = String(Math.round(fault.retryAfterMs));
    headers['retry-after'] = String(Math.ceil(fault.retryAfterMs / 1000));
  }
  const code = fault.code ?? defaultCode(fault.status);
  if (fault.rawBody !== undefined) {
    sendRaw(res, fault.status, fault.rawBody, fault.contentType ?? 'text/html;charset=utf-8', headers);
  } else if ('body' in fault) {
    sendJson(res, fault.status, fault.body ?? null, headers);
  } else {
    sendJson(res, fault.status, errorBody(code, fault.message ?? `Injected fault: ${code}.`), headers);
  }
  return { kind: 'answered', status: fault.status, code: fault.rawBody === undefined && !('body' in fault) ? code : fault.code };
}

function defaultCode(status: number): string {
  if (status === 429) return 'Throttling.User';
  if (status === 503) return 'ServiceUnavailable';
  if (status >= 500) return 'InternalError';
  return 'Injected.Fault';
}
