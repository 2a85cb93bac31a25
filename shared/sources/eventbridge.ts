import type { ValidateFunction } from 'ajv';
import { stopRequestSchema } from '../schemas/stop-request.js';
import { validatorFor, toDetails } from '../schemas/validate.js';
import type { Adapted, ErrorDetail, GuardWork, SkippedTarget, SourceInput, StopRequest } from '../types.js';
import { isRecord, queryFlag } from './body.js';
import { MAX_EVENTS, consolidate, dedupeKey, functionRegion, badPayload, toRequest, tooMany } from './canonical.js';
import { lookup, lookupInstances, ownString, pointerLevel, queryLevel, type Found } from './fields.js';
import { checkGuardRequest, fromTaskEvent } from './guard.js';
import type { AdaptOptions } from './options.js';

// EventBridge delivers CloudEvents 1.0: one event, or an array when the target pushes in
// batches. `data` is one of:
// - a Cloud Assistant task event (`ecs:CloudAssistant:TaskCompleted`): it fires after that
//   instance's run has ended, so it feeds the rollout guard (a failure) or is recorded as
//   skipped (any other ending); it never stops the finished instance;
// - a canonical stop request, or a canonical `{"action":"guard",…}` request (custom
//   events, which EventBridge accepts only on a custom bus), validated as strictly as the
//   direct source;
// - another ECS-shaped event naming `invokeId` / `instanceId`: a stop of those.
// EventBridge adds `aliyunregionid`, `aliyunaccountid`, `aliyunpublishtime` (not RFC 3339:
// `…42.179PRC`, so never format-checked), `aliyuneventbusname`, `aliyunpublishaddr`.

/** The Cloud Assistant task status event type. */
export const TASK_EVENT_TYPE = 'ecs:CloudAssistant:TaskCompleted';

/** Open envelope schema: the required CloudEvents attributes and what we read. */
export const cloudEventSchema = {
  $id: 'source-eventbridge',
  type: 'object',
  required: ['specversion', 'id', 'source', 'type'],
  properties: {
    specversion: { type: 'string', const: '1.0' },
    id: { type: 'string', minLength: 1, maxLength: 1024 },
    source: { type: 'string', minLength: 1, maxLength: 1024 },
    type: { type: 'string', minLength: 1, maxLength: 1024 },
    datacontenttype: { type: 'string' },
    aliyunregionid: { type: 'string' },
    data_base64: { type: 'string' },
  },
} as const;

interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  datacontenttype?: string;
  aliyunregionid?: string;
  data?: unknown;
  data_base64?: string;
  [attribute: string]: unknown;
}

let validateEvent: ValidateFunction<CloudEvent> | undefined;
let validateStop: ValidateFunction<StopRequest> | undefined;

export function adaptEventBridge(value: unknown, input: SourceInput, options: AdaptOptions): Adapted {
  validateEvent ??= validatorFor<CloudEvent>(cloudEventSchema);
  const batch = Array.isArray(value);
  const items: unknown[] = batch ? value : [value];
  if (items.length === 0) throw badPayload('EventBridge batch is empty', [{ path: '/', message: 'must contain at least one CloudEvent' }]);
  if (items.length > MAX_EVENTS) throw tooMany('/', 'events', items.length, MAX_EVENTS);

  const errors: ErrorDetail[] = [];
  const requests: StopRequest[] = [];
  const guards: GuardWork[] = [];
  const skipped: SkippedTarget[] = [];
  const keys: string[] = [];
  items.forEach((item, i) => {
    const prefix = batch ? `/${i}` : '';
    if (!validateEvent?.(item)) {
      errors.push(...toDetails(validateEvent?.errors, prefix));
      return;
    }
    keys.push(`${item.source}|${item.id}`);
    const data = eventData(item, `${prefix}/data`, errors);
    if (data === undefined) return;
    if (isTaskEvent(item, data)) {
      const region = ownString(data, 'regionId') ?? envelopeRegion(item, prefix)?.value ?? ownString(input.query, 'regionId') ?? options.defaultRegion;
      const task = fromTaskEvent({ id: item.id, source: item.source, data }, region, prefix, queryFlag(input.query.dryRun), errors);
      if (task?.guard) guards.push(task.guard);
      if (task?.skipped) skipped.push(task.skipped);
      return;
    }
    if (!isEcsEvent(item, data) && data.action === 'guard') {
      const guard = guardFromCanonical(item, data, prefix, input, options, errors);
      if (guard) guards.push(guard);
      return;
    }
    const request = isEcsEvent(item, data) ? fromEcsEvent(item, data, prefix, input, options, errors) : fromCanonical(item, data, prefix, input, options, errors);
    if (request) requests.push(request);
  });
  // A batch with some usable events acts on those and reports the rest (FC counts a returned
  // result as success, so a refused batch would never be retried).
  if (errors.length > 0 && requests.length === 0 && guards.length === 0 && skipped.length === 0) {
    throw badPayload(batch ? 'EventBridge batch has events that cannot be acted on' : 'EventBridge event cannot be acted on', errors);
  }
  return {
    source: 'eventbridge',
    requests: consolidate(requests),
    skipped,
    ...(guards.length > 0 ? { guards } : {}),
    dedupeKey: dedupeKey('eventbridge', keys.join(',')),
    unusable: errors.length > 0 ? errors : undefined,
  };
}

/** The documented task event type, or an `acs.ecs` event whose data reports a run's end. */
function isTaskEvent(event: CloudEvent, data: Record<string, unknown>): boolean {
  return event.type === TASK_EVENT_TYPE || (event.source === 'acs.ecs' && Object.hasOwn(data, 'invokeId') && Object.hasOwn(data, 'invocationStatus'));
}

/** `{"action":"guard",…}` in a custom event's data; region defaults from the envelope. */
function guardFromCanonical(event: CloudEvent, data: Record<string, unknown>, prefix: string, input: SourceInput, options: AdaptOptions, errors: ErrorDetail[]): GuardWork | undefined {
  const request = checkGuardRequest(withDefaults(event, data, prefix, input, options), `${prefix}/data`, errors);
  return request ? { request, events: [{ id: event.id.slice(0, 200), source: event.source.slice(0, 200) }] } : undefined;
}

/** `data` as a value: an object as is; a string (a producer that stringified JSON) or `data_base64` parsed. */
function eventData(event: CloudEvent, path: string, errors: ErrorDetail[]): Record<string, unknown> | undefined {
  let data = event.data;
  if (data === undefined && typeof event.data_base64 === 'string') {
    data = parse(Buffer.from(event.data_base64, 'base64').toString('utf8'));
    if (data === undefined) {
      errors.push({ path: path.replace(/data$/, 'data_base64'), message: 'must be base64 of a JSON object' });
      return undefined;
    }
  } else if (typeof data === 'string') {
    data = parse(data);
    if (data === undefined) {
      errors.push({ path, message: `is a string that is not JSON${event.datacontenttype ? ` (datacontenttype ${event.datacontenttype})` : ''}` });
      return undefined;
    }
  }
  if (data === undefined) {
    errors.push({ path, message: 'is required: a stop request or a Cloud Assistant event' });
    return undefined;
  }
  if (!isRecord(data)) {
    errors.push({ path, message: 'must be an object: a stop request or a Cloud Assistant event' });
    return undefined;
  }
  return data;
}

/** ECS events name one instance (`instanceId`); canonical requests name a list (`instanceIds`). */
function isEcsEvent(event: CloudEvent, data: Record<string, unknown>): boolean {
  if (event.source === 'acs.ecs' || event.type.startsWith('ecs:')) return true;
  return !Object.hasOwn(data, 'instanceIds') && (Object.hasOwn(data, 'instanceId') || Object.hasOwn(data, 'invocationStatus'));
}

function fromEcsEvent(event: CloudEvent, data: Record<string, unknown>, prefix: string, input: SourceInput, options: AdaptOptions, errors: ErrorDetail[]): StopRequest | undefined {
  const base = `${prefix}/data`;
  const levels = [pointerLevel(data, base), queryLevel(input.query)];
  const problems: ErrorDetail[] = [];
  const invokeId = lookup(levels, 'invokeId', problems);
  const instanceIds = lookupInstances(levels, problems);
  const regionId =
    lookup([levels[0]], 'regionId', problems) ?? envelopeRegion(event, prefix) ?? lookup([levels[1]], 'regionId', problems) ?? functionRegion(options.defaultRegion);
  const commandId = lookup(levels, 'commandId', problems);
  const commandName = lookup(levels, 'commandName', problems);
  if (problems.length === 0 && !invokeId && !instanceIds) problems.push({ path: base, message: 'carries neither invokeId nor instanceId' });
  if (problems.length === 0 && !regionId) problems.push({ path: `${prefix}/aliyunregionid`, message: 'is missing and data has no regionId' });
  if (problems.length > 0) {
    errors.push(...problems);
    return undefined;
  }
  const status = ownString(data, 'invocationStatus');
  const reason = `eventbridge ${event.type} from ${event.source}${status ? ` (invocation ${status})` : ''}`;
  return toRequest({ base, regionId, invokeId, instanceIds, commandId, commandName, dryRun: queryFlag(input.query.dryRun), reason }, errors);
}

/** A canonical request in `data`: strict like the direct source; region defaults from the envelope. */
function fromCanonical(event: CloudEvent, data: Record<string, unknown>, prefix: string, input: SourceInput, options: AdaptOptions, errors: ErrorDetail[]): StopRequest | undefined {
  const candidate = withDefaults(event, data, prefix, input, options);
  validateStop ??= validatorFor<StopRequest>(stopRequestSchema);
  if (validateStop(candidate)) return candidate;
  errors.push(...toDetails(validateStop.errors, `${prefix}/data`));
  return undefined;
}

/** A canonical request in `data`, with the region from the envelope (else the URL, else the function's) and `?dryRun`. */
function withDefaults(event: CloudEvent, data: Record<string, unknown>, prefix: string, input: SourceInput, options: AdaptOptions): Record<string, unknown> {
  const candidate: Record<string, unknown> = { ...data };
  if (candidate.regionId === undefined) {
    const region = envelopeRegion(event, prefix)?.value ?? ownString(input.query, 'regionId') ?? options.defaultRegion;
    if (region) candidate.regionId = region;
  }
  const dry = queryFlag(input.query.dryRun);
  if (dry !== undefined && candidate.dryRun === undefined) candidate.dryRun = dry;
  return candidate;
}

function envelopeRegion(event: CloudEvent, prefix: string): Found | undefined {
  const region = ownString(event, 'aliyunregionid');
  return region ? { value: region, path: `${prefix}/aliyunregionid` } : undefined;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
