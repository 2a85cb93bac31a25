import { mapLimit } from '../concurrency.js';
import type { GuardConfig } from '../config.js';
import type { EcsApi, Invocation } from '../ecs/client.js';
import type { RetryPolicy } from '../ecs/retry.js';
import type { GuardReport, GuardWork, TargetResult } from '../types.js';
import { listInvocations } from './list.js';
import { allowedErrors, parseMaxErrors, type MaxErrors } from '../schemas/max-errors.js';
import type { Work } from './resolve.js';
import { targetError } from './target-error.js';
import { ENDED_INVOCATION, FAILED_INSTANCE, UNFINISHED_INSTANCE } from '../statuses.js';

// The rollout guard: Cloud Assistant's missing MaxErrors. A task event fires after one
// instance's run has ended, so there is nothing left to stop on that instance; instead the
// guard reads the whole invocation from ECS, counts its failed instances and, past the
// threshold, turns the unfinished rest into ordinary work (stopped and verified like any
// other request). Counting from ECS, not from events, keeps it right under duplicate, lost
// and out-of-order events and across FC instances, with no store.

/** Invocation tag that sets an invocation's own threshold (`N`, `N%`) or opts it out (`off`). */
export const GUARD_TAG = 'rollout-max-errors';
/** Instance ids listed in a report; the rest are counted. */
const MAX_LISTED = 100;

export interface GuardOptions {
  concurrency: number;
  retry: RetryPolicy;
  config: GuardConfig;
}

export interface Guarded {
  work: Work[];
  targets: TargetResult[];
  reports: GuardReport[];
  calls: number;
}

export async function guardTargets(guards: GuardWork[], ecs: EcsApi, options: GuardOptions): Promise<Guarded> {
  const out: Guarded = { work: [], targets: [], reports: [], calls: 0 };
  const count = () => {
    out.calls++;
  };
  const results = await mapLimit(merge(guards), options.concurrency, (g) => guardOne(g, ecs, options, count));
  for (const r of results) {
    out.reports.push(r.report);
    if (r.work) out.work.push(r.work);
    if (r.target) out.targets.push(r.target);
    out.targets.push(...r.counted);
  }
  return out;
}

/** One evaluation per (region, invocation, threshold, dry run), however many events asked. */
function merge(guards: GuardWork[]): GuardWork[] {
  const byKey = new Map<string, GuardWork>();
  for (const g of guards) {
    const r = g.request;
    const key = JSON.stringify([r.regionId, r.invokeId, r.maxErrors === undefined ? null : String(r.maxErrors), r.dryRun === true]);
    const seen = byKey.get(key);
    if (!seen) byKey.set(key, { ...g, events: [...g.events] });
    else seen.events.push(...g.events);
  }
  return [...byKey.values()];
}

interface Threshold {
  max: MaxErrors;
  source: NonNullable<GuardReport['thresholdSource']>;
}

interface Outcome {
  report: GuardReport;
  work?: Work;
  target?: TargetResult;
  /** The events' own instances: their runs had ended, so they are reported, never stopped. */
  counted: TargetResult[];
}

async function guardOne(g: GuardWork, ecs: EcsApi, options: GuardOptions, count: () => void): Promise<Outcome> {
  const outcome = await decide(g, ecs, options, count);
  const ids = [...new Set(g.events.map((e) => e.instanceId).filter((id): id is string => id !== undefined))];
  // Stopped whole (periodic): the stop covers the events' instances too, one target each.
  if (outcome.work && !outcome.work.instanceIds) {
    return { ...outcome, work: { ...outcome.work, covered: ids.length > 0 ? ids : undefined }, counted: [] };
  }
  const stopping = new Set(outcome.work?.instanceIds ?? []);
  const seen = new Set<string>();
  const counted: TargetResult[] = [];
  for (const e of g.events) {
    if (!e.instanceId || stopping.has(e.instanceId) || seen.has(e.instanceId)) continue;
    seen.add(e.instanceId);
    counted.push({
      regionId: g.request.regionId,
      invokeId: g.request.invokeId,
      instanceId: e.instanceId,
      status: 'skipped',
      invocationStatus: outcome.instanceStatus?.get(e.instanceId),
      reason: `its run had ended (${e.invocationStatus ?? 'finished'}, event ${e.id}); the rollout guard ${outcome.report.decision === 'off' || outcome.report.decision === 'opted-out' ? 'is off for it' : 'counted it'}`,
    });
  }
  return { report: outcome.report, work: outcome.work, target: outcome.target, counted };
}

async function decide(
  g: GuardWork,
  ecs: EcsApi,
  options: GuardOptions,
  count: () => void,
): Promise<{ report: GuardReport; work?: Work; target?: TargetResult; instanceStatus?: Map<string, string | undefined> }> {
  const { regionId, invokeId } = g.request;
  const dryRun = g.request.dryRun === true;
  const base: GuardReport = {
    regionId,
    invokeId,
    decision: 'off',
    message: '',
    ...(g.events.length > 0 ? { triggeringEventId: g.events[0].id, triggeringEvents: g.events.slice(0, MAX_LISTED) } : {}),
    ...(dryRun ? { dryRun } : {}),
  };
  const asked = g.request.maxErrors === undefined ? undefined : parseMaxErrors(g.request.maxErrors);
  if (!asked && !mayApply(options.config, g)) {
    return { report: { ...base, commandId: g.commandId, commandName: g.commandName, message: 'rollout guard is off (ROLLOUT_MAX_ERRORS is unset and no ROLLOUT_MAX_ERRORS_BY_COMMAND entry names this command): event recorded, nothing called' } };
  }

  let inv: Invocation | undefined;
  try {
    const listed = await listInvocations(ecs, { regionId, invokeId }, [undefined], options.retry, count);
    inv = listed.find((i) => i.invokeId === invokeId);
  } catch (err) {
    const { requestId, ...error } = targetError(err, 'DescribeInvocations');
    return {
      report: { ...base, decision: 'failed', message: `could not read the invocation: ${error.message}` },
      target: { regionId, invokeId, status: 'failed', ecsRequestId: requestId, error },
    };
  }
  if (!inv) {
    const message = 'DescribeInvocations does not list this invocation (another region or account, or older than ECS keeps)';
    return { report: { ...base, decision: 'not-found', message }, target: { regionId, invokeId, status: 'not-found', reason: message } };
  }

  const statuses: Record<string, number> = {};
  for (const i of inv.instances) {
    const s = i.invocationStatus ?? 'Unknown';
    statuses[s] = (statuses[s] ?? 0) + 1;
  }
  const instanceStatus = new Map(inv.instances.map((i) => [i.instanceId, i.invocationStatus]));
  const total = inv.instances.length;
  const failed = inv.instances.filter((i) => i.invocationStatus !== undefined && FAILED_INSTANCE.has(i.invocationStatus)).length;
  const described: GuardReport = {
    ...base,
    commandId: inv.commandId,
    commandName: inv.commandName,
    repeatMode: inv.repeatMode,
    instances: total,
    failed,
    statuses,
  };

  const chosen = asked ? ({ max: asked, source: 'request' } as const) : threshold(inv, options.config);
  if ('off' in chosen) return { report: { ...described, decision: chosen.off, message: chosen.message }, instanceStatus };
  const allowed = allowedErrors(chosen.max, total);
  const judged: GuardReport = { ...described, maxErrors: chosen.max.text, allowed, thresholdSource: chosen.source };
  const tally = `${failed} of ${total} instance(s) failed; maxErrors ${chosen.max.text} (${chosen.source}) allows ${allowed}`;
  if (failed <= allowed) return { report: { ...judged, decision: 'below-threshold', message: `${tally}: below the threshold, nothing stopped` }, instanceStatus };

  const unfinished = inv.instances.filter((i) => i.invocationStatus !== undefined && UNFINISHED_INSTANCE.has(i.invocationStatus)).map((i) => i.instanceId);
  const periodic = inv.repeatMode !== undefined && inv.repeatMode !== 'Once';
  const live = periodic ? !ENDED_INVOCATION.has(inv.invocationStatus ?? '') : unfinished.length > 0;
  const finished = total - unfinished.length;
  if (!live) {
    return { report: { ...judged, decision: 'nothing-to-stop', alreadyFinished: finished, message: `${tally}: over the threshold, but nothing is left to stop` }, instanceStatus };
  }
  const reason = `rollout guard: ${failed} of ${total} instance(s) failed, over maxErrors ${chosen.max.text}`;
  // A periodic invocation is stopped whole: StopInvocation then schedules no further runs.
  const work: Work = periodic ? { regionId, invokeId, dryRun, reason } : { regionId, invokeId, instanceIds: unfinished, dryRun, reason };
  return {
    report: {
      ...judged,
      decision: 'stop',
      stopping: unfinished.slice(0, MAX_LISTED),
      stoppingCount: unfinished.length,
      alreadyFinished: finished,
      ...(periodic ? { cancelsFurtherRuns: true } : {}),
      message: `${tally}: over the threshold, ${dryRun ? 'would stop' : 'stopping'} ${unfinished.length} unfinished instance(s)${periodic ? ' and cancelling further runs' : ''}`,
    },
    work,
    instanceStatus,
  };
}

/** Whether any configured threshold could apply to this guard (else no ECS call is needed). */
function mayApply(config: GuardConfig, g: GuardWork): boolean {
  if (config.default !== undefined) return true;
  if (config.byCommand.size === 0) return false;
  // Without the command from the event, only the invocation can tell which entry applies.
  if (g.commandId === undefined && g.commandName === undefined) return true;
  return (g.commandId !== undefined && config.byCommand.has(g.commandId)) || (g.commandName !== undefined && config.byCommand.has(g.commandName));
}

/** Tag first (the invocation's own say), then the command's entry (id, then name), then the default. */
function threshold(inv: Invocation, config: GuardConfig): Threshold | { off: 'off' | 'opted-out'; message: string } {
  const tag = inv.tags?.[GUARD_TAG];
  if (tag !== undefined) {
    if (tag.trim().toLowerCase() === 'off') return { off: 'opted-out', message: `the invocation is tagged ${GUARD_TAG}=off: not guarded` };
    const parsed = parseMaxErrors(tag);
    if (parsed) return { max: parsed, source: 'tag' };
  }
  const bad = tag !== undefined ? ` (tag ${GUARD_TAG}='${tag.slice(0, 40)}' is not N, N% or off, so it was ignored)` : '';
  for (const key of [inv.commandId, inv.commandName]) {
    const entry = key === undefined ? undefined : config.byCommand.get(key);
    if (entry === 'off') return { off: 'off', message: `ROLLOUT_MAX_ERRORS_BY_COMMAND turns the guard off for ${key}${bad}` };
    if (entry) return { max: entry, source: 'command' };
  }
  if (config.default !== undefined && config.default !== 'off') return { max: config.default, source: 'default' };
  return { off: 'off', message: `no threshold applies: ROLLOUT_MAX_ERRORS is ${config.default ?? 'unset'}, no command entry and no ${GUARD_TAG} tag${bad}` };
}
