import { expect } from 'vitest';
import type { Emulator, Fault } from '../../emulator/index.js';
import { mapLimit } from '../../shared/concurrency.js';
import { instanceIds, type HttpBody, type Stack } from './stack.js';
import { waitFor } from './expect.js';
import { FAULT_REQUESTS } from './volume.js';

// The fault matrix's parts (fault-matrix.test.ts: faults that persist; fault-recovery.test.ts:
// the same faults once per chunk): the faults, the request storm, and the invariants every
// run must hold whatever the fault.

export const ATTEMPTS = 3;
/** Backoff shortened (shared/config.ts TUNING): these tests count attempts, they do not time them. */
export const FAST = { tuning: { retryBaseMs: 5, retryMaxMs: 40 } };

/**
 * A generous ECS timeout for the faults that answer at once: a storm of requests on a
 * loaded 2-core machine can hold a healthy answer past 2 s, which is not the fault under test.
 * The slow-response fault sets its own.
 */
export const CALM = { ECS_TIMEOUT_MS: '5000' };

export interface Run {
  ids: string[];
  invokeId: string;
  res: { status: number; headers: Headers; json: HttpBody };
}

/** `FAULT_REQUESTS` requests (test/helpers/volume.ts) with 1–120 instances each, 20 at a time. */
export async function storm(s: Stack, prefix: string): Promise<Run[]> {
  const emu = s.emu;
  const plans = Array.from({ length: FAULT_REQUESTS }, (_, n) => {
    const count = 1 + ((n * 37) % 120);
    const ids = instanceIds(count, `i-${prefix}${n}x`);
    const inv = emu.seedInvocation({ regionId: 'cn-hangzhou', instances: ids.map((instanceId) => ({ instanceId, status: 'Running' as const })) });
    return { ids, invokeId: inv.invokeId };
  });
  return mapLimit(plans, 20, async (p) => ({ ...p, res: await s.post({ regionId: 'cn-hangzhou', invokeId: p.invokeId, instanceIds: p.ids }) }));
}

/**
 * The invariants every run must hold, whatever the fault. Checked as plain code and asserted
 * once (a list of what broke): thousands of per-target `expect` calls were a third of this
 * file's CPU.
 */
export function checkInvariants(emu: Emulator, runs: Run[]): void {
  expect(runs.length).toBeGreaterThan(0);
  const broken: string[] = [];
  for (const { ids, invokeId, res } of runs) {
    const targets = res.json.data.targets;
    const where = `${invokeId} (${res.status})`;
    // Every id that came in, exactly once.
    if (JSON.stringify(targets.map((t) => t.instanceId).sort()) !== JSON.stringify([...ids].sort())) broken.push(`${where}: targets are not the ids that came in`);
    for (const t of targets) {
      if (t.status !== 'stopped' && t.status !== 'failed') broken.push(`${where} ${t.instanceId}: status ${t.status}`);
      if (t.status === 'failed' && (typeof t.error?.code !== 'string' || typeof t.error.message !== 'string' || typeof t.error.retryable !== 'boolean')) {
        broken.push(`${where} ${t.instanceId}: failed without code, message and retryable`);
      }
    }
    // Never claim a stop the emulator does not show.
    const state = new Map(emu.getInvocation(invokeId)?.instances.map((i) => [i.instanceId, i.status]));
    for (const t of targets) if (t.status === 'stopped' && state.get(t.instanceId ?? '') !== 'Stopped') broken.push(`${where} ${t.instanceId}: stopped, emulator says ${state.get(t.instanceId ?? '')}`);
    // The status tells the sender what to do.
    const failed = targets.filter((t) => t.status === 'failed');
    if (failed.length === 0) {
      if (res.status !== 200) broken.push(`${where}: nothing failed, status is not 200`);
    } else if (failed.some((t) => t.error?.retryable)) {
      if (res.status < 500 || !/^\d+$/.test(res.headers.get('retry-after') ?? '')) broken.push(`${where}: a retryable failure without 5xx and Retry-After`);
    } else if (res.status >= 500) broken.push(`${where}: nothing retryable, yet 5xx`);
  }
  expect(broken.slice(0, 20)).toEqual([]);
}

export const chunks = (n: number) => Math.ceil(n / 50);

/** A call we gave up on is still answered (and logged) late; let those land before counting. */
export async function settle(emu: Emulator): Promise<void> {
  await waitFor(() => `the emulator's ${emu.inFlight()} calls in flight to be answered`, () => (emu.inFlight() === 0 ? true : undefined), 10_000, 20);
}

export const FAULTS: Array<{ name: string; fault: Fault; code: string; env?: Record<string, string> }> = [
  { name: '500 InternalError.Dispatch', fault: { service: 'ecs', action: 'StopInvocation', status: 500, code: 'InternalError.Dispatch', message: 'dispatch failed' }, code: 'InternalError.Dispatch' },
  { name: 'Throttling.User with retry-after', fault: { service: 'ecs', action: 'StopInvocation', status: 400, code: 'Throttling.User', message: 'slow down', retryAfterMs: 50 }, code: 'Throttling.User' },
  // 400 ms: a healthy call must fit in it while other test files share the two cores (at
  // 200 ms a busy machine timed out healthy calls too). Its storm keeps 20 at a time: sent all
  // at once, a busy machine let some chunks reach the deadline before their third attempt.
  { name: 'slow response past the timeout', fault: { service: 'ecs', action: 'StopInvocation', latencyMs: 1000 }, code: 'RequestTimeout', env: { ECS_TIMEOUT_MS: '400' } },
  { name: 'connection reset', fault: { service: 'ecs', action: 'StopInvocation', reset: true }, code: 'NetworkError' },
  { name: 'non-JSON 502', fault: { service: 'ecs', action: 'StopInvocation', status: 502, rawBody: '<html><body>502 Bad Gateway</body></html>', contentType: 'text/html' }, code: 'BadGateway' },
];
