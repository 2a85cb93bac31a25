import { randomUUID } from 'node:crypto';
import { httpStatusFor, retryCanHelp } from './status.js';
import type { ErrorBody, GuardReport, Outcome, ResultData, ResultEvent, SourceName, TargetResult, TriggerKind } from '../types.js';

// The record of what happened (ARCHITECTURE §3), with the HTTP status that tells the sender
// what to do next (decided in status.ts). Pure.

export interface Origin {
  requestId: string;
  region: string;
  accountId: string;
  functionName: string;
}

export interface ResultInput {
  origin: Origin;
  trigger: TriggerKind;
  source?: SourceName;
  dedupeKey?: string;
  reason?: string;
  targets: TargetResult[];
  durationMs: number;
  /** Rollout guard decisions (`data.guard`). */
  guard?: GuardReport[];
  /** Set for refusals before any ECS call. */
  rejected?: { status: number; error: ErrorBody['error'] };
  scrub?: (text: string) => string;
  /** Refused before the caller was authenticated: the event names no account, region or function. */
  anonymous?: boolean;
}

/** The `source` of a result for an unauthenticated caller (a CloudEvents URI-reference). */
export const ANONYMOUS_SOURCE = 'fc-stop-invocation';

export interface Verdict {
  event: ResultEvent;
  status: number;
  headers: Record<string, string>;
  /** The sender should come back although no target failed (the same delivery in progress elsewhere). */
  retryable?: boolean;
}

/** A target's error message in the result: enough for ECS's sentence, bounded for 1,000 targets. */
const MAX_TARGET_MESSAGE = 300;
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function buildResult(input: ResultInput): Verdict {
  const scrub = input.scrub ?? ((s: string) => s);
  // Scrubbed whole, then cut: a secret cut in half first would no longer be recognised.
  const targets = input.targets.map((t) => (t.error ? { ...t, error: { ...t.error, message: clip(scrub(t.error.message), MAX_TARGET_MESSAGE) } } : t));
  const counts = {
    requested: targets.length,
    stopped: targets.filter((t) => t.status === 'stopped').length,
    failed: targets.filter((t) => t.status === 'failed').length,
    skipped: targets.filter((t) => t.status === 'skipped' || t.status === 'not-found' || t.status === 'dry-run').length,
  };
  const failures = targets.filter((t) => t.status === 'failed');
  let outcome: Outcome;
  let status = 200;
  const headers: Record<string, string> = {};
  let error: ErrorBody['error'] | undefined;

  if (input.rejected) {
    outcome = 'rejected';
    status = input.rejected.status;
    error = { ...input.rejected.error, message: scrub(input.rejected.error.message) };
  } else {
    const http = httpStatusFor(targets);
    status = http.status;
    if (http.retryAfterSeconds !== undefined) headers['retry-after'] = String(http.retryAfterSeconds);
    if (failures.length > 0) {
      outcome = counts.stopped > 0 ? 'partial' : 'failed';
      const first = failures[0].error;
      error = {
        code: first?.code ?? 'Failed',
        message: `${failures.length} of ${targets.length} target(s) failed; first: ${first?.message ?? 'unknown error'}`,
      };
    } else if (targets.some((t) => t.status === 'dry-run')) {
      outcome = 'dry-run';
    } else if (counts.stopped > 0) {
      outcome = 'stopped';
    } else {
      outcome = 'ignored';
    }
  }

  const invokeIds = [...new Set([...targets.map((t) => t.invokeId), ...(input.guard ?? []).map((g) => g.invokeId)].filter((id): id is string => Boolean(id)))];
  const data: ResultData = {
    outcome,
    trigger: input.trigger,
    source: input.source,
    requestId: input.origin.requestId,
    dedupeKey: input.dedupeKey,
    reason: input.reason,
    targets,
    counts,
    durationMs: input.durationMs,
  };
  if (input.guard && input.guard.length > 0) data.guard = input.guard.map((g) => ({ ...g, message: scrub(g.message) }));
  if (error) data.error = error;
  const event: ResultEvent = {
    specversion: '1.0',
    id: randomUUID(),
    type: 'fc-stop-invocation.result',
    source: input.anonymous ? ANONYMOUS_SOURCE : `acs:fc:${input.origin.region}:${input.origin.accountId}:functions/${input.origin.functionName}`,
    // Absent rather than undefined: a CloudEvents attribute is a non-empty string or not there.
    ...(invokeIds.length === 1 ? { subject: invokeIds[0] } : {}),
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data,
  };
  return { event, status, headers };
}

/** Some target failed in a way a retry can fix (HTTP senders get 5xx; events are thrown back to FC). */
export function hasRetryableFailure(v: Verdict): boolean {
  return v.retryable === true || retryCanHelp(v.event.data.targets);
}

/**
 * A retry can improve this answer: a retryable target, or our own 5xx (an unexpected
 * failure has no targets to say so). HTTP senders see the 5xx; events and timers are
 * thrown back to FC; the dedupe key is freed for the redelivery.
 */
export function retryWanted(v: Verdict): boolean {
  return hasRetryableFailure(v) || v.status >= 500;
}

/** A repeat of an earlier request: same targets, marked as such, nothing called. */
export function asDuplicate(first: Verdict, requestId: string): Verdict {
  const event: ResultEvent = {
    ...first.event,
    id: randomUUID(),
    time: new Date().toISOString(),
    data: { ...first.event.data, outcome: 'duplicate', requestId, durationMs: 0, reason: `duplicate of request ${first.event.data.requestId}` },
  };
  return { event, status: first.status, headers: first.headers };
}
