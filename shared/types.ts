// The contracts every stage shares (ARCHITECTURE §3). Kept free of I/O so adapters,
// schemas and the result builder stay pure.

export type TriggerKind = 'http' | 'event' | 'timer';
export type SourceName = 'direct' | 'alertmanager' | 'grafana' | 'cloudmonitor' | 'eventbridge' | 'sweep';

/** Canonical stop request (ARCHITECTURE §3): what every source adapter produces. */
export interface StopRequest {
  regionId: string;
  invokeId?: string;
  instanceIds?: string[];
  commandId?: string;
  commandName?: string;
  dryRun?: boolean;
  reason?: string;
}

/** Watchdog sweep (ARCHITECTURE §3, timer trigger). */
export interface SweepRequest {
  action: 'sweep';
  regionIds: string[];
  maxRunningSeconds: number;
  commandId?: string;
  commandName?: string;
  /**
   * Off unless set: also cancel periodic invocations (whole schedules) created longer ago
   * than this. Without it a schedule is never stopped for its age, only a run that has
   * itself been Running longer than maxRunningSeconds.
   */
  cancelSchedulesOlderThanSeconds?: number;
  dryRun?: boolean;
}

/**
 * Rollout guard request (README "Rollout guard"): count the invocation's failed instances
 * and, past `maxErrors` (SSM MaxErrors: `N` or `N%`), stop it where it has not finished.
 * Without `maxErrors` the configured threshold applies.
 */
export interface GuardRequest {
  action: 'guard';
  regionId: string;
  invokeId: string;
  maxErrors?: string | number;
  dryRun?: boolean;
  reason?: string;
}

/** A guard request and what set it off; the trigger part comes from a task event, never from a schema. */
export interface GuardWork {
  request: GuardRequest;
  /** The Cloud Assistant task events (or custom events) that asked, for the record. */
  events: Array<{ id: string; source: string; instanceId?: string; invocationStatus?: string }>;
  /** The command the event named, so a guard with nothing configured for it needs no ECS call. */
  commandId?: string;
  commandName?: string;
}

/** Why the guard did what it did, one per invocation it looked at (`data.guard`). */
export interface GuardReport {
  regionId: string;
  invokeId: string;
  decision: 'stop' | 'below-threshold' | 'off' | 'opted-out' | 'nothing-to-stop' | 'not-found' | 'failed';
  commandId?: string;
  commandName?: string;
  repeatMode?: string;
  /** The threshold as written (`2`, `10%`), how many failures it allows here, and where it came from. */
  maxErrors?: string;
  allowed?: number;
  thresholdSource?: 'request' | 'tag' | 'command' | 'default';
  /** Instances of the invocation, and how many ended in a failure state. */
  instances?: number;
  failed?: number;
  /** Instances per status as ECS reported them before any stop. */
  statuses?: Record<string, number>;
  /** Unfinished instances the stop was sent for (Pending, Scheduled, Running); at most 100 listed. */
  stopping?: string[];
  stoppingCount?: number;
  /** Instances that had already finished (any other status); only the count. */
  alreadyFinished?: number;
  /** A periodic invocation: stopped whole, so it schedules no further runs. */
  cancelsFurtherRuns?: boolean;
  /** The event(s) that asked; triggeringEventId is the first. */
  triggeringEventId?: string;
  triggeringEvents?: Array<{ id: string; source: string; instanceId?: string; invocationStatus?: string }>;
  dryRun?: boolean;
  message: string;
}

/** Something a payload mentioned that we deliberately do not act on (resolved alert, OK state). */
export interface SkippedTarget {
  regionId?: string;
  invokeId?: string;
  instanceId?: string;
  reason: string;
}

/** What a source adapter makes of one payload. */
export interface Adapted {
  source: SourceName;
  /** Work to do; each is validated against the canonical schema before anything runs. */
  requests: StopRequest[];
  skipped: SkippedTarget[];
  sweep?: SweepRequest;
  /** Rollout guard evaluations (task events, `{"action":"guard"}` requests). */
  guards?: GuardWork[];
  /** Per-source dedupe key (ARCHITECTURE §3); undefined when the payload has none. */
  dedupeKey?: string;
  /**
   * Parts of a multi-target payload (one alert of a group, one event of a batch) that
   * cannot be acted on while the rest can: reported as failed targets, never silently
   * dropped, and never a reason to refuse the valid stops (senders do not retry a 4xx).
   */
  unusable?: ErrorDetail[];
  /** Targets a policy rule refused (a region outside ALLOWED_REGIONS): reported as failed, never called. */
  denied?: TargetResult[];
}

/** What an adapter sees of the incoming request. Pure data. */
export interface SourceInput {
  trigger: TriggerKind;
  body: Buffer;
  /** Lower-cased media type without parameters, e.g. 'application/json'. Empty for events. */
  contentType: string;
  /** Query string of the webhook URL (http only); `token` is already removed. */
  query: Record<string, string>;
  /** Headers, lower-cased names (http only). */
  headers: Record<string, string>;
  /**
   * The sender's id for this delivery, from what the credential covers only (pipeline.ts
   * `deliveryIdOf`): never an unsigned header of a signed request.
   */
  deliveryId?: string;
  /** The timer trigger that fired (timer only): its name and scheduled time identify the run. */
  timer?: { triggerName: string; triggerTime: string };
}

export type TargetStatus = 'stopped' | 'failed' | 'skipped' | 'not-found' | 'dry-run';

export interface TargetError {
  code: string;
  message: string;
  retryable: boolean;
  /** HTTP status ECS (or STS) answered with, when it answered. */
  statusCode?: number;
  /** The service asked us to wait this long before retrying. */
  retryAfterMs?: number;
}

export interface TargetResult {
  regionId?: string;
  invokeId?: string;
  instanceId?: string;
  status: TargetStatus;
  /** Per-instance invocation status read back by verification. */
  invocationStatus?: string;
  ecsRequestId?: string;
  reason?: string;
  error?: TargetError;
}

export type Outcome = 'stopped' | 'partial' | 'failed' | 'rejected' | 'dry-run' | 'ignored' | 'duplicate';

export interface ResultData {
  outcome: Outcome;
  trigger: TriggerKind;
  source?: SourceName;
  requestId: string;
  dedupeKey?: string;
  reason?: string;
  targets: TargetResult[];
  counts: { requested: number; stopped: number; failed: number; skipped: number };
  durationMs: number;
  /** Rollout guard decisions, when the payload asked for the guard. */
  guard?: GuardReport[];
  error?: ErrorBody['error'];
  /** With a shared store (REDIS_URL): `shared`, or `unavailable` when it failed and this ran without it. */
  dedupe?: 'shared' | 'unavailable';
  /** With STOP_BUDGET: what this request spent and where it was counted. */
  budget?: BudgetReport;
}

export interface BudgetReport {
  /** As configured, e.g. `500/10m`. */
  limit: string;
  /** `shared`: across every instance; `instance`: this instance only (no store, or the store failed). */
  scope: 'shared' | 'instance';
  asked: number;
  granted: number;
  /** Spent in the window so far, this request included. */
  used: number;
  /** When the oldest spend leaves the window (RFC 3339). */
  freesAt: string;
}

/** CloudEvents 1.0 result event (ARCHITECTURE §3). */
export interface ResultEvent {
  specversion: '1.0';
  id: string;
  type: 'fc-stop-invocation.result';
  source: string;
  subject?: string;
  time: string;
  datacontenttype: 'application/json';
  data: ResultData;
}

export interface ErrorDetail {
  path: string;
  message: string;
}

export interface ErrorBody {
  error: { code: string; message: string; details?: ErrorDetail[] };
}
