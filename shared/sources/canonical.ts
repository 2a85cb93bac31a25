import { createHash } from 'node:crypto';
import type { ValidateFunction } from 'ajv';
import { RequestError, badRequest } from '../errors.js';
import { INSTANCE_RE, INVOKE_RE, REGION_RE, stopRequestSchema } from '../schemas/stop-request.js';
import { validatorFor, toDetails } from '../schemas/validate.js';
import type { ErrorDetail, SkippedTarget, StopRequest } from '../types.js';
import type { Found, FoundList } from './fields.js';

// What every non-direct adapter does with the targets it found: build a canonical request,
// validate it against the canonical schema with error paths pointing back into the
// original payload, merge the requests so each instance id appears once, and key the
// payload for dedupe.

/** Alerts per notification and events per batch we accept; more is refused with 413. */
export const MAX_ALERTS = 1000;
export const MAX_EVENTS = 100;
/** Dedupe keys longer than this are hashed. */
export const MAX_KEY_LENGTH = 200;
/** Free text we copy into `reason`. */
const MAX_REASON = 1024;

let validateStop: ValidateFunction<StopRequest> | undefined;

/** What one alert / event asks for, and where in the payload each part came from. */
export interface Targets {
  /** Path of the thing as a whole (`/alerts/3`), used when nothing more precise exists. */
  base: string;
  regionId?: Found;
  invokeId?: Found;
  instanceIds?: FoundList;
  commandId?: Found;
  commandName?: Found;
  dryRun?: boolean;
  reason?: string;
}

/**
 * Targets → a canonical request validated with `stopRequestSchema`. Problems are appended
 * to `errors` with the payload's own paths; returns undefined then.
 * Command filters only narrow the by-instance lookup, so they are carried only when there
 * is no invoke id (with one, StopInvocation names the invocation exactly).
 */
export function toRequest(t: Targets, errors: ErrorDetail[]): StopRequest | undefined {
  const request: StopRequest = { regionId: t.regionId?.value ?? '' };
  if (t.invokeId) request.invokeId = t.invokeId.value;
  if (t.instanceIds && t.instanceIds.values.length > 0) request.instanceIds = t.instanceIds.values;
  if (!t.invokeId) {
    if (t.commandId) request.commandId = t.commandId.value;
    if (t.commandName) request.commandName = t.commandName.value;
  }
  if (t.dryRun !== undefined) request.dryRun = t.dryRun;
  if (t.reason) request.reason = clip(t.reason, MAX_REASON);
  validateStop ??= validatorFor<StopRequest>(stopRequestSchema);
  const unchecked: unknown = request; // keep `request` typed after a failed type guard
  if (validateStop(unchecked)) return request;
  const origin = (path: string): string => {
    switch (path.split('/')[1]) {
      case 'regionId':
        return t.regionId?.path ?? t.base;
      case 'invokeId':
        return t.invokeId?.path ?? t.base;
      case 'instanceIds': {
        const index = Number(path.split('/')[2]);
        return t.instanceIds?.paths?.[index] ?? t.instanceIds?.path ?? t.base;
      }
      case 'commandId':
        return t.commandId?.path ?? t.base;
      case 'commandName':
        return t.commandName?.path ?? t.base;
      default:
        return t.base;
    }
  };
  for (const d of toDetails(validateStop.errors)) {
    const [, field, index] = d.path.split('/');
    // Several ids from one comma-separated value share its path: say which one is wrong.
    const which = field === 'instanceIds' && index !== undefined && (t.instanceIds?.values.length ?? 0) > 1 ? ` ('${clip(String(request.instanceIds?.[Number(index)]), 80)}')` : '';
    errors.push({ path: origin(d.path), message: d.message + which });
  }
  return undefined;
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** A region that does not come from the payload: `?regionId=` is a level already; this is the function's own. */
export const functionRegion = (region: string | undefined): Found | undefined =>
  region ? { value: region, path: '(function region)' } : undefined;

/**
 * One request per (region, invocation) and per (region, command filter) for by-instance
 * lookups, each instance id once per scope (invocation or command filter). A by-instance
 * lookup without command filters stops everything live on an instance, so it takes that
 * instance from every other request; real stops before dry runs. An invocation named
 * without instances and the same invocation with instances stay apart (the stop stage
 * merges them, so each named instance is still reported).
 */
export function consolidate(requests: StopRequest[]): StopRequest[] {
  // Groups keep the position of their first request so the output follows the payload.
  const byInvoke = new Map<string, { at: number; request: StopRequest }>();
  const byInstance = new Map<string, { at: number; request: StopRequest }>();
  requests.forEach((r, at) => {
    const dry = r.dryRun === undefined ? '' : String(r.dryRun);
    if (r.invokeId) {
      // A whole-invocation stop and one naming instances stay two requests: the stop stage
      // merges them into one call and still reports each named instance.
      const key = `${r.regionId}\u0000${r.invokeId}\u0000${dry}\u0000${r.instanceIds ? 'named' : 'whole'}`;
      const seen = byInvoke.get(key)?.request;
      if (!seen) byInvoke.set(key, { at, request: { ...r, instanceIds: r.instanceIds ? [...r.instanceIds] : undefined } });
      else if (seen.instanceIds && r.instanceIds) seen.instanceIds.push(...r.instanceIds);
    } else {
      const key = `${r.regionId}\u0000${r.commandId ?? ''}\u0000${r.commandName ?? ''}\u0000${dry}`;
      const seen = byInstance.get(key)?.request;
      if (!seen) byInstance.set(key, { at, request: { ...r, instanceIds: [...(r.instanceIds ?? [])] } });
      else seen.instanceIds?.push(...(r.instanceIds ?? []));
    }
  });
  const instanceGroups = [...byInstance.values()];
  const unfiltered = instanceGroups.filter((g) => !g.request.commandId && !g.request.commandName);
  const filtered = instanceGroups.filter((g) => g.request.commandId || g.request.commandName);
  // An unfiltered lookup on an instance finds everything live there, so it absorbs every
  // other request for that instance; otherwise an instance is kept once per scope (one
  // invocation, one command filter): asking to stop t-1 and t-2 on i-a is two stops.
  // Per region, the instances an unfiltered lookup took; per region and scope, those claimed
  // (Sets of ids, not one Set of joined keys: no string is built per id of a 1,000-id request).
  const wide = new Map<string, Set<string>>();
  const claimed = new Map<string, Set<string>>();
  const out: Array<{ at: number; request: StopRequest }> = [];
  // Real stops claim an instance before dry runs do: a dry run must never take an id away
  // from a stop that was really asked for.
  const real = (g: { request: StopRequest }) => g.request.dryRun !== true;
  const ordered = [...unfiltered, ...byInvoke.values(), ...filtered];
  for (const { at, request: r } of [...ordered.filter(real), ...ordered.filter((g) => !real(g))]) {
    if (!r.instanceIds) {
      out.push({ at, request: tidy(r) });
      continue;
    }
    const scope = r.invokeId ? `invoke:${r.invokeId}` : r.commandId || r.commandName ? `command:${r.commandId ?? ''}/${r.commandName ?? ''}` : '*';
    const wideHere = setIn(wide, r.regionId);
    const claimedHere = setIn(claimed, `${r.regionId}\u0000${scope}`);
    const mine: string[] = [];
    for (const id of r.instanceIds) {
      if (wideHere.has(id) || claimedHere.has(id)) continue;
      claimedHere.add(id);
      if (scope === '*') wideHere.add(id);
      mine.push(id);
    }
    if (mine.length > 0) out.push({ at, request: tidy({ ...r, instanceIds: mine }) });
  }
  return out.sort((a, b) => a.at - b.at).map((g) => g.request);
}

function setIn(sets: Map<string, Set<string>>, key: string): Set<string> {
  let set = sets.get(key);
  if (!set) sets.set(key, (set = new Set()));
  return set;
}

/** Drop keys whose value is undefined so results compare and serialize cleanly. */
function tidy(r: StopRequest): StopRequest {
  const out: StopRequest = { regionId: r.regionId };
  if (r.invokeId !== undefined) out.invokeId = r.invokeId;
  if (r.instanceIds !== undefined) out.instanceIds = r.instanceIds;
  if (r.commandId !== undefined) out.commandId = r.commandId;
  if (r.commandName !== undefined) out.commandName = r.commandName;
  if (r.dryRun !== undefined) out.dryRun = r.dryRun;
  if (r.reason !== undefined) out.reason = r.reason;
  return out;
}

/**
 * Skipped targets worth reporting: ids that are well-formed (we never echo junk), one entry
 * per (region, invocation, instance), and none for an instance or invocation that the same
 * payload also acts on (every instance appears once in the result).
 */
export function skippedEntries(candidates: Array<{ regionId?: string; invokeId?: string; instanceIds?: string[] }>, reason: string, acting: StopRequest[]): SkippedTarget[] {
  const targeted = new Set<string>();
  for (const r of acting) {
    if (r.instanceIds) for (const id of r.instanceIds) targeted.add(`i\u0000${r.regionId}\u0000${id}`);
    else if (r.invokeId) targeted.add(`t\u0000${r.regionId}\u0000${r.invokeId}`);
  }
  const seen = new Set<string>();
  const out: SkippedTarget[] = [];
  for (const c of candidates) {
    const regionId = c.regionId && REGION_RE.test(c.regionId) ? c.regionId : undefined;
    const invokeId = c.invokeId && INVOKE_RE.test(c.invokeId) ? c.invokeId : undefined;
    const ids = (c.instanceIds ?? []).filter((id) => INSTANCE_RE.test(id));
    const push = (instanceId?: string) => {
      if (instanceId && targeted.has(`i\u0000${regionId}\u0000${instanceId}`)) return;
      if (invokeId && targeted.has(`t\u0000${regionId}\u0000${invokeId}`)) return;
      const key = `${regionId ?? ''}\u0000${invokeId ?? ''}\u0000${instanceId ?? ''}`;
      if (seen.has(key)) return;
      seen.add(key);
      const entry: SkippedTarget = { reason };
      if (regionId) entry.regionId = regionId;
      if (invokeId) entry.invokeId = invokeId;
      if (instanceId) entry.instanceId = instanceId;
      out.push(entry);
    };
    if (ids.length === 0) push();
    for (const id of ids) push(id);
  }
  return out;
}

export const sha256Hex = (text: string, length = 32) => createHash('sha256').update(text, 'utf8').digest('hex').slice(0, length);

/** `prefix:body`, or `prefix:sha256:<32 hex>` when that would be longer than 200 characters. */
export function dedupeKey(prefix: string, body: string): string {
  const key = `${prefix}:${body}`;
  return key.length <= MAX_KEY_LENGTH ? key : `${prefix}:sha256:${sha256Hex(body)}`;
}

/** A 400 for a payload nothing of which can be acted on (details are capped by RequestError). */
export function badPayload(message: string, details: ErrorDetail[]): RequestError {
  return badRequest(message, details);
}

/** Validate a sender's envelope against its (open) schema, or 400 with capped details. */
export function checkShape<T>(validate: ValidateFunction<T>, value: unknown, what: string, prefix = ''): T {
  if (validate(value)) return value;
  throw badPayload(`${what} is invalid`, toDetails(validate.errors, prefix));
}

export function tooMany(path: string, what: string, count: number, limit: number): RequestError {
  return new RequestError(413, 'PayloadTooLarge', `${count} ${what} in one payload; the limit is ${limit}`, [
    { path, message: `must have at most ${limit} items` },
  ]);
}
