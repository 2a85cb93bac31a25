import { createHash } from 'node:crypto';
import { authenticate, type AuthConfig, type AuthResult } from './auth/index.js';
import type { Config } from './config.js';
import { IN_PROGRESS_CODE, type Dedupe } from './dedupe.js';
import type { EcsApi } from './ecs/client.js';
import type { RetryPolicy } from './ecs/retry.js';
import { RequestError } from './errors.js';
import { buildResult, type Origin, type Verdict } from './events/result.js';
import type { Logger } from './log.js';
import { checkPolicy } from './policy.js';
import { adapt } from './sources/index.js';
import { guardTargets } from './stop/guard.js';
import { budgetCost, limitWork, type StopBudget } from './store/budget.js';
import { resolveTargets, type Work } from './stop/resolve.js';
import { pairKey, stopAll } from './stop/stop.js';
import { sweepTargets } from './stop/sweep.js';
import { verifyTargets } from './stop/verify.js';
import { decodeEvent, checkHttpEnvelope, type Decoded } from './triggers/decode.js';
import { checkQuery, refuseUnsignedSteering, type CheckedQuery } from './triggers/query.js';
import type { Adapted, BudgetReport, TargetResult } from './types.js';

// decode → authenticate → adapt → validate/policy → dedupe → resolve → stop → verify → emit.
// Each stage is its own module; this file only says in which order they run and what
// happens when one refuses.

export interface Deps {
  config: Config;
  log: Logger;
  ecs: EcsApi;
  dedupe: Dedupe;
  /** STOP_BUDGET, when configured. */
  budget?: StopBudget;
  /** The current webhook credentials when they can change (KMS, shared/secrets.ts); else config.auth. */
  auth?: (deadline: number) => Promise<AuthConfig>;
  /** Called with every result, after the response is decided; failures are theirs to log. */
  emit?: (verdict: Verdict) => Promise<void>;
}

/** One FC call of the handler: who is answering (Origin) and by when. Not a Cloud Assistant invocation. */
export interface CallContext extends Origin {
  /**
   * Epoch ms by which every outbound call (STS, ECS) must be over; the answer follows within
   * tuning.publishGraceMs (publishing the result may use that much), still inside FC's timeout.
   */
  deadline: number;
}

export interface PipelineResult {
  trigger: Decoded['trigger'];
  verdict: Verdict;
}

export async function runPipeline(raw: Buffer | string | object, call: CallContext, deps: Deps): Promise<PipelineResult> {
  const started = Date.now();
  const log = deps.log.child({ requestId: call.requestId });
  let decoded: Decoded | undefined;
  let adapted: Adapted | undefined;
  let verdict: Verdict;
  let stats = { ecsCalls: 0, attempts: 0 };
  // Events and timers come through FC already authenticated; HTTP requests once they pass.
  let trusted = false;

  try {
    decoded = decodeEvent(raw, deps.config.maxBodyBytes);
    const auth = decoded.trigger === 'http' ? await admitHttp(decoded, deps, call.deadline) : undefined;
    trusted = true;
    let query: CheckedQuery = {};
    if (decoded.trigger === 'http' && auth) {
      log.debug('authenticated', { method: auth.method });
      query = checkQuery(decoded.query);
      // Only what the credential covers steers a stop (README "Security model").
      if (!auth.coversUrl) refuseUnsignedSteering(query, auth.method);
    }
    adapted = checkPolicy(
      adapt(
        { trigger: decoded.trigger, body: decoded.body, contentType: decoded.contentType, query, headers: decoded.headers, timer: decoded.timer, deliveryId: deliveryIdOf(decoded, auth) },
        { defaultRegion: call.region },
      ),
      deps.config,
    );

    const key = cacheKey(adapted);
    const trigger = decoded.trigger;
    const asked = adapted;
    // Copies waiting on this share its answer, even if it is the unexpected failure's.
    const work = (previous: Verdict | undefined) =>
      execute(trigger, asked, call, deps, previous, started, (s) => (stats = s)).catch((err: unknown) => rejectedVerdict(err, trigger, asked, call, started, log));
    // Claimed in the store (this instance's, or the shared one): a copy gets the first
    // answer; a redelivery after a retryable failure runs again, re-stopping only what failed.
    verdict =
      key && deps.dedupe.enabled
        ? await deps.dedupe.run(key, { ...call, trigger, source: adapted.source, dedupeKey: adapted.dedupeKey }, work)
        : await work(undefined);
  } catch (err) {
    verdict = rejectedVerdict(err, decoded?.trigger ?? 'event', adapted, call, started, log, !trusted);
  }

  log.info('stop-invocation result', {
    outcome: verdict.event.data.outcome,
    status: verdict.status,
    trigger: verdict.event.data.trigger,
    source: verdict.event.data.source,
    sourceIp: decoded?.sourceIp,
    dedupeKey: verdict.event.data.dedupeKey,
    counts: verdict.event.data.counts,
    ecsCalls: stats.ecsCalls,
    attempts: stats.attempts,
    durationMs: Date.now() - started,
    answerBy: new Date(call.deadline + deps.config.tuning.publishGraceMs).toISOString(),
    error: verdict.event.data.error,
    targets: verdict.event.data.targets.length <= 50 ? verdict.event.data.targets : undefined,
  });
  // Anonymous internet traffic (401, 405, 413, 415 before authentication) is logged, never
  // published; so are copies (duplicates, "in progress elsewhere"): one event per stop.
  if (deps.emit && trusted && !isCopy(verdict)) await publishWithin(deps.emit(verdict), call.deadline + deps.config.tuning.publishGraceMs - Date.now(), log);
  return { trigger: decoded?.trigger ?? 'event', verdict };
}

/**
 * The delivery id that keys dedupe for the direct source. A token covers the whole request,
 * so `Idempotency-Key` (else a Standard Webhooks id) is the sender's word. A signature
 * covers only what it signed: its own message id, or else the signed bytes themselves, so a
 * replay with a fresh unsigned header is still the same delivery.
 */
function deliveryIdOf(decoded: Decoded, auth: AuthResult | undefined): string | undefined {
  if (decoded.trigger !== 'http' || !auth) return undefined;
  if (!auth.coversUrl) return auth.messageId ?? `sha256:${createHash('sha256').update(decoded.body).digest('hex').slice(0, 32)}`;
  const h = decoded.headers;
  return h['idempotency-key'] ?? h['webhook-id'] ?? h['svix-id'];
}

/** The HTTP envelope and its credentials: everything checked before the caller is known. */
async function admitHttp(decoded: Decoded, deps: Deps, deadline: number): Promise<AuthResult> {
  checkHttpEnvelope(decoded, deps.config.maxBodyBytes);
  // KMS-backed credentials (WEBHOOK_SECRET_NAME) are read only for an acceptable envelope.
  const config = deps.auth ? await deps.auth(deadline) : deps.config.auth;
  return authenticate({ headers: decoded.headers, query: decoded.query, rawBody: decoded.body }, config);
}

async function execute(
  trigger: Decoded['trigger'],
  adapted: Adapted,
  call: CallContext,
  deps: Deps,
  previous: Verdict | undefined,
  started: number,
  report: (s: { ecsCalls: number; attempts: number }) => void,
): Promise<Verdict> {
  const { config } = deps;
  const retry: RetryPolicy = {
    maxAttempts: config.ecsMaxAttempts,
    baseDelayMs: config.tuning.retryBaseMs,
    maxDelayMs: config.tuning.retryMaxMs,
    attemptTimeoutMs: config.ecsTimeoutMs,
    deadline: call.deadline,
    // Credentials (a cold AssumeRole) come out of the same per-invocation deadline.
    prepare: deps.ecs.prepare ? (deadline) => deps.ecs.prepare!(deadline) : undefined,
  };
  const stages = { concurrency: config.ecsConcurrency, retry };

  const resolved = adapted.sweep
    ? await sweepTargets(adapted.sweep, deps.ecs, stages)
    : await resolveTargets(adapted.requests, deps.ecs, stages);
  // The rollout guard decides what to stop from the invocation's own state (README "Rollout guard").
  const guarded = adapted.guards ? await guardTargets(adapted.guards, deps.ecs, { ...stages, config: config.guard }) : undefined;
  if (guarded) {
    resolved.work.push(...guarded.work);
    resolved.targets.push(...guarded.targets);
    resolved.calls += guarded.calls;
  }
  const alreadyStopped = new Set(
    (previous?.event.data.targets ?? []).filter((t) => t.status === 'stopped').map((t) => pairKey(t.regionId, t.invokeId, t.instanceId)),
  );
  // A redelivery after a retryable failure already paid for what failed: it must not pay
  // again (a retry that can fix the stop would otherwise turn into BudgetExceeded).
  const paid = new Set([
    ...alreadyStopped,
    ...(previous?.event.data.targets ?? [])
      .filter((t) => t.status === 'failed' && t.error?.retryable)
      .map((t) => pairKey(t.regionId, t.invokeId, t.instanceId)),
  ]);
  const budgeted = await spendBudget(resolved.work, paid, adapted, call, deps);
  const stopped = await stopAll(budgeted.work, deps.ecs, { ...stages, alreadyStopped, checkCovered: !config.verify });
  let targets: TargetResult[] = [...resolved.targets, ...stopped.targets];
  let verifyCalls = 0;
  if (config.verify && stopped.calls > 0) {
    const verified = await verifyTargets(targets, deps.ecs, { ...stages, graceMs: config.verifyGraceMs, deadline: call.deadline - config.tuning.verifyMarginMs });
    targets = verified.targets;
    verifyCalls = verified.calls;
  }
  targets.push(...budgeted.refused, ...(adapted.denied ?? []));
  targets.push(...adapted.skipped.map((s): TargetResult => ({ ...s, status: 'skipped' })));
  targets.push(
    ...(adapted.unusable ?? []).map(
      (d): TargetResult => ({ status: 'failed', error: { code: 'InvalidTarget', message: `${d.path}: ${d.message}`, retryable: false, statusCode: 400 } }),
    ),
  );
  report({ ecsCalls: resolved.calls + stopped.calls + verifyCalls, attempts: stopped.attempts });

  const verdict = buildResult({
    origin: call,
    trigger,
    source: adapted.source,
    dedupeKey: adapted.dedupeKey,
    reason: adapted.requests.find((r) => r.reason)?.reason ?? adapted.guards?.find((g) => g.request.reason)?.request.reason,
    targets,
    guard: guarded?.reports,
    durationMs: Date.now() - started,
    scrub: (s) => deps.log.scrub(s),
  });
  if (budgeted.report) verdict.event.data.budget = budgeted.report;
  return verdict;
}

/**
 * STOP_BUDGET: the instance-stops this request is about to make are spent first (dry runs
 * and targets already stopped or paid for by an earlier attempt cost nothing); what the budget does not cover is failed
 * BudgetExceeded, with the time the window frees up.
 */
async function spendBudget(work: Work[], paid: ReadonlySet<string>, adapted: Adapted, call: CallContext, deps: Deps) {
  const asked = deps.budget ? budgetCost(work, paid) : 0;
  if (!deps.budget || asked === 0) return { work, refused: [] as TargetResult[], report: undefined };
  const spec = deps.budget.spec;
  const take = await deps.budget.take(`${call.accountId}/${call.functionName}`, asked, call.deadline);
  const report: BudgetReport = { limit: spec.text, scope: take.scope, asked, granted: take.granted, used: take.used, freesAt: new Date(take.freesAt).toISOString() };
  if (take.granted >= asked) return { work, refused: [] as TargetResult[], report };
  const where = take.scope === 'shared' ? 'across instances' : 'in this instance (no shared store)';
  const message = `STOP_BUDGET ${spec.text} is spent ${where}: ${take.used} instance-stops in the window; capacity frees at ${report.freesAt}`;
  const limited = limitWork(work, take.granted, paid, message, Math.max(0, take.freesAt - Date.now()));
  deps.log.warn('stop budget exceeded', { budget: spec.text, scope: take.scope, source: adapted.source, dedupeKey: adapted.dedupeKey, asked, granted: take.granted, refused: limited.refused.length, freesAt: report.freesAt });
  return { ...limited, report };
}

/** An answer that repeats (or defers to) another request's work. */
function isCopy(verdict: Verdict): boolean {
  return verdict.event.data.outcome === 'duplicate' || verdict.event.data.error?.code === IN_PROGRESS_CODE;
}

/** The answer must not wait past the deadline for a sink; the sink logs its own outcome. */
async function publishWithin(publishing: Promise<void>, budgetMs: number, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), Math.max(0, budgetMs));
  });
  const outcome = await Promise.race([publishing.then(() => 'done' as const), late]);
  clearTimeout(timer);
  if (outcome === 'late') log.warn('result event still publishing at the deadline; answering without waiting');
}

/**
 * The sender's dedupe key plus a digest of the work it asks for: the same alert sent once
 * as a dry run and once for real, or an Idempotency-Key reused with another body, must
 * not be answered with the other one's result.
 */
function cacheKey(adapted: Adapted): string | undefined {
  if (!adapted.dedupeKey) return undefined;
  // What is asked, in a canonical order and without free text: the same alerts in another
  // order, or with a reworded annotation, are still the same delivery.
  const work = adapted.requests
    .map((r) => JSON.stringify([r.regionId, r.invokeId ?? '', [...(r.instanceIds ?? [])].sort(), r.commandId ?? '', r.commandName ?? '', r.dryRun === true]))
    .sort();
  const sweep = adapted.sweep ? JSON.stringify({ ...adapted.sweep, regionIds: [...adapted.sweep.regionIds].sort() }) : '';
  const guard = (adapted.guards ?? []).map(({ request: g }) => JSON.stringify([g.regionId, g.invokeId, String(g.maxErrors ?? ''), g.dryRun === true])).sort();
  const digest = createHash('sha256').update(JSON.stringify(guard.length > 0 ? [work, sweep, guard] : [work, sweep])).digest('hex').slice(0, 16);
  return `${adapted.dedupeKey}#${digest}`;
}


function rejectedVerdict(err: unknown, trigger: Decoded['trigger'], adapted: Adapted | undefined, call: CallContext, started: number, log: Logger, anonymous = false): Verdict {
  if (err instanceof RequestError) {
    const verdict = buildResult({
      anonymous,
      origin: call,
      trigger,
      source: adapted?.source,
      dedupeKey: adapted?.dedupeKey,
      targets: [],
      durationMs: Date.now() - started,
      rejected: { status: err.status, error: err.toBody().error },
      scrub: (s) => log.scrub(s),
    });
    Object.assign(verdict.headers, err.headers);
    return verdict;
  }
  log.error('unexpected failure', { error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err) });
  const verdict = buildResult({
    origin: call,
    trigger,
    source: adapted?.source,
    targets: [],
    durationMs: Date.now() - started,
    rejected: { status: 500, error: { code: 'InternalError', message: 'the function failed unexpectedly; see the function log for this request id' } },
  });
  verdict.event.data.outcome = 'failed';
  verdict.headers['retry-after'] = '5';
  return verdict;
}
