import { INSTANCE_HARD_LIMIT } from '../schemas/stop-request.js';
import type { ErrorDetail } from '../types.js';
import { isRecord } from './body.js';

// Where alert payloads carry the target (ARCHITECTURE §3): a list of places ("levels") read in
// order — labels, then annotations, then the webhook URL's query string — each key
// matched in snake or camel case. Every value found remembers the path it came from, so
// a bad value is reported where the sender put it (`/alerts/1/labels/instance_id`).

export type TargetField = 'invokeId' | 'instanceId' | 'regionId' | 'armsRegionId' | 'commandId' | 'commandName';

/** Preferred spellings, in order. Any other key that normalizes to one of them also matches. */
const SPELLINGS: Record<TargetField, readonly string[]> = {
  invokeId: ['invoke_id', 'invokeId'],
  instanceId: ['instance_id', 'instanceId'],
  regionId: ['region_id', 'regionId'],
  // ARMS adds this label to every alert; an explicit region_id anywhere (or ?regionId=) wins.
  armsRegionId: ['_aliyun_arms_region_id'],
  commandId: ['command_id', 'commandId'],
  commandName: ['command_name', 'commandName'],
};

/** `Invoke-ID`, `invoke_id`, `invokeId` → `invokeid`. */
const normalize = (key: string) => key.toLowerCase().replace(/[_-]/g, '');

const NORMALIZED: Record<TargetField, ReadonlySet<string>> = {
  invokeId: new Set(SPELLINGS.invokeId.map(normalize)),
  instanceId: new Set(SPELLINGS.instanceId.map(normalize)),
  regionId: new Set(SPELLINGS.regionId.map(normalize)),
  armsRegionId: new Set(SPELLINGS.armsRegionId.map(normalize)),
  commandId: new Set(SPELLINGS.commandId.map(normalize)),
  commandName: new Set(SPELLINGS.commandName.map(normalize)),
};

/** Prometheus' `instance` label when it names an ECS instance, with or without `:port`. */
const ECS_INSTANCE_LABEL = /^(i-[a-z0-9]+)(?::\d{1,5})?$/;

/** One place to look, and how to name a key found there in an error path. */
export interface Level {
  values: unknown;
  at: (key: string) => string;
}

export interface Found {
  value: string;
  path: string;
}

export interface FoundList {
  values: string[];
  /** Where the values came from; `paths[i]` when they came from several places. */
  path: string;
  paths?: string[];
}

/** RFC 6901 escaping of one reference token. */
export const escapeToken = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/** A JSON object inside the payload; paths are JSON pointers under `prefix`. */
export const pointerLevel = (values: unknown, prefix: string): Level => ({ values, at: (key) => `${prefix}/${escapeToken(key)}` });

/** The webhook URL's query string; paths read `?key`. */
export const queryLevel = (query: Record<string, string>): Level => ({ values: query, at: (key) => `?${key}` });

/** Keys of `values` that spell `field`, best first. Own keys only (`__proto__` and friends never match). */
function keysFor(values: Record<string, unknown>, field: TargetField): string[] {
  const out: string[] = [];
  for (const spelling of SPELLINGS[field]) if (Object.hasOwn(values, spelling)) out.push(spelling);
  const wanted = NORMALIZED[field];
  for (const key of Object.keys(values)) {
    if (!out.includes(key) && wanted.has(normalize(key))) out.push(key);
  }
  return out;
}

type Read = { kind: 'absent' } | { kind: 'value'; text: string } | { kind: 'bad'; message: string };

/** A label value: text; empty, `null` and the string "null" mean "not given here". */
function read(raw: unknown): Read {
  if (raw === undefined || raw === null) return { kind: 'absent' };
  if (typeof raw !== 'string') return { kind: 'bad', message: 'must be a string' };
  const text = raw.trim();
  if (text === '' || text.toLowerCase() === 'null') return { kind: 'absent' };
  return { kind: 'value', text };
}

/**
 * First value of `field` across `levels`. A value of the wrong type is an error (pushed to
 * `errors`, result undefined); an empty or "null" value falls through to the next level.
 */
export function lookup(levels: readonly Level[], field: TargetField, errors: ErrorDetail[]): Found | undefined {
  for (const level of levels) {
    if (!isRecord(level.values)) continue;
    for (const key of keysFor(level.values, field)) {
      const r = read(level.values[key]);
      if (r.kind === 'absent') continue;
      if (r.kind === 'bad') {
        errors.push({ path: level.at(key), message: r.message });
        return undefined;
      }
      return { value: r.text, path: level.at(key) };
    }
  }
  return undefined;
}

/**
 * Instance ids across `levels`: `instance_id`/`instanceId` (a single id, or several separated
 * by commas or spaces), else an `instance` label that looks like an ECS id (`i-abc` or
 * `i-abc:9100`; anything else, e.g. `10.0.0.1:9100`, is not an ECS id and is ignored).
 */
export function lookupInstances(levels: readonly Level[], errors: ErrorDetail[]): FoundList | undefined {
  for (const level of levels) {
    if (!isRecord(level.values)) continue;
    for (const key of keysFor(level.values, 'instanceId')) {
      const r = read(level.values[key]);
      if (r.kind === 'absent') continue;
      if (r.kind === 'bad') {
        errors.push({ path: level.at(key), message: r.message });
        return undefined;
      }
      return { values: splitIds(r.text), path: level.at(key) };
    }
    if (Object.hasOwn(level.values, 'instance')) {
      const r = read(level.values.instance);
      const m = r.kind === 'value' ? ECS_INSTANCE_LABEL.exec(r.text) : null;
      if (m) return { values: [m[1]], path: level.at('instance') };
    }
  }
  return undefined;
}

/** `i-a, i-b i-c` → unique ids in order; at most one more than the hard limit so validation can say "too many". */
export function splitIds(text: string): string[] {
  const out = new Set<string>();
  for (const part of text.split(/[\s,;]+/)) {
    if (part === '') continue;
    out.add(part);
    if (out.size > INSTANCE_HARD_LIMIT) break;
  }
  return [...out];
}

/** The value of one own string property, for fields we read by a single name (`?dryRun`, `transId`). */
export function ownString(values: unknown, key: string): string | undefined {
  if (!isRecord(values) || !Object.hasOwn(values, key)) return undefined;
  const r = read(values[key]);
  return r.kind === 'value' ? r.text : undefined;
}
