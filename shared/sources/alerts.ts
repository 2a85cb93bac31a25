import type { ValidateFunction } from 'ajv';
import type { Adapted, ErrorDetail, SourceInput, StopRequest } from '../types.js';
import { isRecord, queryFlag } from './body.js';
import { MAX_ALERTS, checkShape, consolidate, dedupeKey, functionRegion, badPayload, sha256Hex, skippedEntries, toRequest, tooMany } from './canonical.js';
import { lookup, lookupInstances, ownString, pointerLevel, queryLevel, type Level } from './fields.js';
import type { AdaptOptions } from './options.js';

// Alertmanager webhook v4, ARMS (Alertmanager format) and Grafana unified alerting share one
// shape: `{ groupKey?, alerts: [{ status, labels, annotations, startsAt, fingerprint }] }`.
// Only what we read is typed; senders add fields over time.

/** One alert as far as we read it. */
export const alertItemSchema = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['firing', 'resolved'] },
    labels: { type: 'object' },
    annotations: { type: 'object' },
    startsAt: { type: 'string' },
    fingerprint: { type: 'string' },
  },
} as const;

/** An Alertmanager-style group (Alertmanager, ARMS, Grafana): open, only what we read is typed. */
export const alertGroupSchema = <Id extends string>($id: Id) =>
  ({
    $id,
    type: 'object',
    required: ['alerts'],
    properties: {
      groupKey: { type: 'string' },
      alerts: { type: 'array', maxItems: MAX_ALERTS, items: alertItemSchema },
    },
  }) as const;

export interface Alert {
  status: 'firing' | 'resolved';
  labels?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
  startsAt?: string;
  fingerprint?: string;
}

export interface AlertGroup {
  groupKey?: string;
  alerts: Alert[];
}

export const NO_TARGET =
  'has no target: set label invoke_id (invokeId) or instance_id (instanceId, or an ECS `instance` label such as i-xxx:9100), ' +
  'or the same key as an annotation, or ?invokeId= / ?instanceId= on the webhook URL';
export const NO_REGION =
  'has no region: set label region_id (regionId, _aliyun_arms_region_id), an annotation, or ?regionId= on the webhook URL';

/**
 * Alert group → canonical requests. Each firing alert is a target; resolved alerts become
 * skipped entries. A firing alert we cannot act on is reported with its path as a failed
 * `InvalidTarget` target while the others are stopped (senders do not retry a 4xx); only
 * a notification with nothing usable is refused (400).
 */
export function adaptAlertGroup(
  kind: 'alertmanager' | 'grafana',
  validate: ValidateFunction<AlertGroup>,
  value: unknown,
  input: SourceInput,
  options: AdaptOptions,
): Adapted {
  if (isRecord(value) && Array.isArray(value.alerts) && value.alerts.length > MAX_ALERTS) {
    throw tooMany('/alerts', 'alerts', value.alerts.length, MAX_ALERTS);
  }
  const group = checkShape(validate, value, `${kind} notification`);
  const query = queryLevel(input.query);
  const dryRun = queryFlag(input.query.dryRun);
  const errors: ErrorDetail[] = [];
  const requests: StopRequest[] = [];
  const resolved: Array<{ regionId?: string; invokeId?: string; instanceIds?: string[] }> = [];
  const firing: string[] = [];

  group.alerts.forEach((alert, i) => {
    const base = `/alerts/${i}`;
    const levels: Level[] = [pointerLevel(alert.labels, `${base}/labels`), pointerLevel(alert.annotations, `${base}/annotations`), query];
    const problems: ErrorDetail[] = [];
    const invokeId = lookup(levels, 'invokeId', problems);
    const instanceIds = lookupInstances(levels, problems);
    const regionId = lookup(levels, 'regionId', problems) ?? lookup(levels, 'armsRegionId', problems) ?? functionRegion(options.defaultRegion);
    if (alert.status === 'resolved') {
      resolved.push({ regionId: regionId?.value, invokeId: invokeId?.value, instanceIds: instanceIds?.values });
      return;
    }
    firing.push(`${alert.fingerprint || labelPrint(alert.labels)}@${alert.startsAt ?? ''}`);
    const commandId = lookup(levels, 'commandId', problems);
    const commandName = lookup(levels, 'commandName', problems);
    if (problems.length > 0) {
      errors.push(...problems);
      return;
    }
    if (!invokeId && !instanceIds) {
      errors.push({ path: base, message: NO_TARGET });
      return;
    }
    if (!regionId) {
      errors.push({ path: base, message: NO_REGION });
      return;
    }
    const request = toRequest({ base, regionId, invokeId, instanceIds, commandId, commandName, dryRun, reason: reasonFor(kind, alert) }, errors);
    if (request) requests.push(request);
  });

  // Refuse only when nothing can be acted on; otherwise stop what can be and report the rest.
  if (errors.length > 0 && requests.length === 0) throw badPayload(`${kind} notification has firing alerts that cannot be acted on`, errors);
  const merged = consolidate(requests);
  return {
    source: kind,
    requests: merged,
    skipped: skippedEntries(resolved, 'alert resolved', merged),
    dedupeKey: firing.length > 0 ? dedupeKey(kind, `${group.groupKey ?? ''}|${firing.sort().join(',')}`) : undefined,
    unusable: errors.length > 0 ? errors : undefined,
  };
}

/** Stand-in for an empty fingerprint: a hash of the alert's labels, as Alertmanager computes its own. */
function labelPrint(labels: Record<string, unknown> | undefined): string {
  if (!labels) return 'nolabels';
  const pairs = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${typeof labels[k] === 'string' ? String(labels[k]) : JSON.stringify(labels[k]) ?? ''}`);
  return `labels-${sha256Hex(pairs.join('\u0000'), 16)}`;
}

function reasonFor(kind: string, alert: Alert): string {
  const name = ownString(alert.labels, 'alertname') ?? 'unnamed';
  const summary = ownString(alert.annotations, 'summary') ?? ownString(alert.annotations, 'description');
  return `${kind} alert ${name}${summary ? `: ${summary}` : ''}`;
}
