import type { ValidateFunction } from 'ajv';
import { validatorFor } from '../schemas/validate.js';
import type { Adapted, ErrorDetail, SourceInput } from '../types.js';
import { isRecord, queryFlag } from './body.js';
import { MAX_ALERTS, checkShape, consolidate, dedupeKey, functionRegion, badPayload, sha256Hex, skippedEntries, toRequest } from './canonical.js';
import { lookup, lookupInstances, ownString, pointerLevel, queryLevel, type FoundList, type Level } from './fields.js';
import type { AdaptOptions } from './options.js';

// CloudMonitor threshold-alert callback. Current senders POST a form
// (application/x-www-form-urlencoded) whose `dimensions` is text like
// `{userId=1, instanceId=i-xxx}` — not JSON; the legacy callback POSTs JSON whose
// `dimensions` is an array of objects (or a JSON string of one). Any field may be the
// string "null". CloudMonitor cannot carry an invoke id: `?invokeId=` on the callback URL
// names one; otherwise running invocations are resolved on the alerting instance(s).

/** Open schema: only the fields we read are typed. */
export const cloudMonitorSchema = {
  $id: 'source-cloudmonitor',
  type: 'object',
  required: ['alertState'],
  properties: {
    alertState: { type: 'string', minLength: 1, maxLength: 64 },
    dimensions: { type: ['string', 'array', 'object', 'null'] },
    transId: { type: ['string', 'null'] },
    alertName: { type: ['string', 'null'] },
    userId: { type: ['string', 'number', 'null'] },
    timestamp: { type: ['string', 'number', 'null'] },
  },
} as const;

interface CloudMonitorCallback {
  alertState: string;
  dimensions?: unknown;
  transId?: string | null;
  alertName?: string | null;
  userId?: string | number | null;
  timestamp?: string | number | null;
  [field: string]: unknown;
}

const ACT = new Set(['ALERT', 'ALARM']);
const SKIP = new Set(['OK', 'INSUFFICIENT_DATA']);

let validate: ValidateFunction<CloudMonitorCallback> | undefined;

export function adaptCloudMonitor(value: unknown, input: SourceInput, options: AdaptOptions): Adapted {
  validate ??= validatorFor<CloudMonitorCallback>(cloudMonitorSchema);
  const cb = checkShape(validate, value, 'CloudMonitor callback');
  const state = cb.alertState.trim().toUpperCase();
  if (!ACT.has(state) && !SKIP.has(state)) {
    throw badPayload('CloudMonitor callback is invalid', [{ path: '/alertState', message: 'must be one of ALERT, ALARM, OK, INSUFFICIENT_DATA' }]);
  }
  const top = pointerLevel(cb, '');
  const query = queryLevel(input.query);
  const problems: ErrorDetail[] = [];
  const instanceIds = dimensionInstances(cb.dimensions, problems) ?? lookupInstances([top, query], problems);
  const invokeId = lookup([top, query], 'invokeId', problems);
  const regionId = lookup([top, query], 'regionId', problems) ?? functionRegion(options.defaultRegion);
  const key = dedupeKey('cloudmonitor', callbackKey(cb, state));

  if (SKIP.has(state)) {
    const skipped = skippedEntries([{ regionId: regionId?.value, invokeId: invokeId?.value, instanceIds: instanceIds?.values }], `alert state ${state}`, []);
    return { source: 'cloudmonitor', requests: [], skipped, dedupeKey: key };
  }

  const commandId = lookup([top, query], 'commandId', problems);
  const commandName = lookup([top, query], 'commandName', problems);
  if (problems.length === 0 && !invokeId && !instanceIds) {
    problems.push({ path: '/dimensions', message: 'names no ECS instance (expected instanceId=i-…); or add ?invokeId= to the callback URL' });
  }
  if (problems.length === 0 && !regionId) {
    problems.push({ path: '/regionId', message: 'is missing; add ?regionId= to the callback URL' });
  }
  const request =
    problems.length === 0
      ? toRequest({ base: '/', regionId, invokeId, instanceIds, commandId, commandName, dryRun: queryFlag(input.query.dryRun), reason: reasonFor(cb) }, problems)
      : undefined;
  if (!request) throw badPayload('CloudMonitor callback cannot be acted on', problems);
  return { source: 'cloudmonitor', requests: consolidate([request]), skipped: [], dedupeKey: key };
}

/** `transId` + state; the legacy callback has no transId: hash what identifies one notification. */
function callbackKey(cb: CloudMonitorCallback, state: string): string {
  const transId = ownString(cb, 'transId');
  if (transId) return `${transId}:${state}`;
  const part = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
  return sha256Hex([part(cb.userId), part(cb.alertName), part(cb.timestamp), state].join('\u0000'));
}

function reasonFor(cb: CloudMonitorCallback): string {
  const name = ownString(cb, 'alertName') ?? 'unnamed';
  const metric = ownString(cb, 'metricName');
  const current = ownString(cb, 'curValue');
  return `cloudmonitor alert ${name}${metric ? ` (${metric}${current ? ` = ${current}` : ''})` : ''}`;
}

/**
 * Instance ids named by `dimensions`, in every form it comes in: text `{k=v, k=v}` (one or
 * several groups), an array of objects, one object, or a JSON string of either.
 */
export function dimensionInstances(dimensions: unknown, problems: ErrorDetail[]): FoundList | undefined {
  const levels = dimensionLevels(dimensions);
  const values: string[] = [];
  const paths: string[] = [];
  const seen = new Set<string>(); // a Set: a hostile 256 KiB form can name ~40k ids
  for (const level of levels) {
    const found = lookupInstances([level], problems);
    for (const id of found?.values ?? []) {
      if (seen.has(id)) continue;
      seen.add(id);
      values.push(id);
      paths.push(found?.path ?? '/dimensions');
    }
  }
  return values.length > 0 ? { values, path: paths[0], paths } : undefined;
}

function dimensionLevels(dimensions: unknown): Level[] {
  const whole = (values: unknown): Level => ({ values, at: () => '/dimensions' });
  if (Array.isArray(dimensions)) {
    return dimensions.slice(0, MAX_ALERTS).map((d, i) => pointerLevel(d, `/dimensions/${i}`));
  }
  if (isRecord(dimensions)) return [pointerLevel(dimensions, '/dimensions')];
  if (typeof dimensions !== 'string') return [];
  const text = dimensions.trim();
  if (text === '' || text.toLowerCase() === 'null') return [];
  if (text.startsWith('[') || text.startsWith('{"')) {
    const parsed = tryJson(text);
    if (Array.isArray(parsed)) return parsed.slice(0, MAX_ALERTS).map(whole);
    if (isRecord(parsed)) return [whole(parsed)];
  }
  // Text form: `{userId=1, instanceId=i-xxx}`, possibly several groups.
  const groups = [...text.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]);
  return (groups.length > 0 ? groups : [text]).slice(0, MAX_ALERTS).map((g) => whole(pairs(g)));
}

/** `userId=1, instanceId=i-xxx` → { userId: '1', instanceId: 'i-xxx' } (no prototype). */
function pairs(text: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (name !== '' && !Object.hasOwn(out, name)) out[name] = part.slice(eq + 1).trim();
  }
  return out;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
