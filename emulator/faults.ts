import type { ServerResponse } from 'node:http';
import { sendJson, sendRaw } from './util/http.js';
import { sleep } from './util/time.js';
import type { Fault, Service } from './types.js';

// Injected failures. The first fault (in insertion order) that matches the request's
// service and action and still has `times` left answers instead of the service.

interface ActiveFault {
  fault: Fault;
  remaining: number;
}

export class FaultRegistry {
  private faults: ActiveFault[] = [];

  add(fault: Fault): void {
    validateFault(fault);
    this.faults.push({ fault: { ...fault }, remaining: fault.times ?? Infinity });
  }

  clear(): void {
    this.faults = [];
  }

  /** Takes one use of the first matching fault, if any. */
  take(service: Service, action: string): Fault | undefined {
    const hit = this.faults.find(
      (f) => f.remaining > 0 && f.fault.service === service && (f.fault.action === undefined || f.fault.action === action),
    );
    if (!hit) return undefined;
    hit.remaining -= 1;
    if (hit.remaining <= 0) this.faults = this.faults.filter((f) => f !== hit);
    return hit.fault;
  }
}

function validateFault(fault: Fault): void {
  if (!fault || !['ecs', 'sts', 'eventbridge'].includes(fault.service)) {
    throw new Error('fault.service must be one of ecs, sts, eventbridge');
  }
  if (fault.times !== undefined && !(Number.isInteger(fault.times) && fault.times > 0)) {
    throw new Error('fault.times must be a positive integer');
  }
  if (fault.status !== undefined && !(Number.isInteger(fault.status) && fault.status >= 100 && fault.status <= 599)) {
    throw new Error('fault.status must be an HTTP status');
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
  } else {
    sendJson(res, fault.status, errorBody(code, fault.message ?? `Injected fault: ${code}.`), headers);
  }
  return { kind: 'answered', status: fault.status, code: fault.rawBody === undefined ? code : fault.code };
}

function defaultCode(status: number): string {
  if (status === 429) return 'Throttling.User';
  if (status === 503) return 'ServiceUnavailable';
  if (status >= 500) return 'InternalError';
  return 'Injected.Fault';
}
