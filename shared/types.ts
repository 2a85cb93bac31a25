// The contracts every stage shares (DESIGN §2). Kept free of I/O so adapters,
// schemas and the result builder stay pure.

export type TriggerKind = 'http' | 'event' | 'timer';
export type SourceName = 'direct' | 'alertmanager' | 'grafana' | 'cloudmonitor' | 'eventbridge' | 'sweep';

/** Canonical stop request (DESIGN §2.1): what every source adapter produces. */
export interface StopRequest {
  regionId: string;
  invokeId?: string;
  instanceIds?: string[];
  commandId?: string;
  commandName?: string;
  dryRun?: boolean;
  reason?: string;
}

/** Watchdog sweep (DESIGN §2.2, timer trigger). */
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
  /** Per-source dedupe key (DESIGN §2.2); undefined when the payload has none. */
  dedupeKey?: string;
  /**
   * Parts of a multi-target payload (one alert of a group, one event of a batch) that
   * cannot be acted on while the rest can: reported as failed targets, never silently
   * dropped, and never a reason to refuse the valid stops (senders do not retry a 4xx).
   */
  refused?: ErrorDetail[];
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
  error?: ErrorBody['error'];
}

/** CloudEvents 1.0 result event (DESIGN §2.5). */
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
