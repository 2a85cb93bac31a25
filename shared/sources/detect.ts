import { RequestError } from '../errors.js';
import type { SourceName, TriggerKind } from '../types.js';
import { isRecord } from './body.js';
import { looksLikeGrafana } from './grafana.js';

// Which adapter reads a payload: `?source=` when given, else the payload's shape.

export const SOURCE_NAMES: readonly SourceName[] = ['alertmanager', 'grafana', 'cloudmonitor', 'eventbridge', 'direct', 'sweep'];
/** Other names people reach for; ARMS sends the Alertmanager format. */
const ALIASES: Readonly<Record<string, SourceName>> = { arms: 'alertmanager' };

/** `?source=` → a source name; absent → undefined; anything else → 400 listing the valid ones. */
export function forcedSource(query: Record<string, string>): SourceName | undefined {
  if (!Object.hasOwn(query, 'source')) return undefined;
  const raw = String(query.source).trim().toLowerCase();
  if (raw === '') return undefined;
  const name = (SOURCE_NAMES as readonly string[]).includes(raw) ? (raw as SourceName) : Object.hasOwn(ALIASES, raw) ? ALIASES[raw] : undefined;
  if (name) return name;
  const shown = String(query.source).slice(0, 40);
  throw new RequestError(400, 'InvalidSource', `source '${shown}' is not known; use one of: ${SOURCE_NAMES.join(', ')} (or leave ?source= out to detect it)`, [
    { path: '?source', message: `must be one of: ${SOURCE_NAMES.join(', ')}` },
  ]);
}

export type BodyKind = 'json' | 'text' | 'form';

/** Media types the HTTP trigger accepts; `text/plain` only when the body is JSON (ARMS' default header). */
export const ACCEPTED_TYPES = ['application/json', 'application/*+json', 'application/x-www-form-urlencoded', 'text/plain (with a JSON body)'];

/** How to read an HTTP body of this (lower-cased, parameter-free) media type; undefined = not accepted. */
export function bodyKind(contentType: string): BodyKind | undefined {
  if (contentType === 'application/json' || /^application\/[a-z0-9!#$&^_.-]+\+json$/.test(contentType)) return 'json';
  if (contentType === 'application/x-www-form-urlencoded') return 'form';
  if (contentType === 'text/plain') return 'text';
  return undefined;
}

/**
 * The source a JSON payload comes from, by shape (ARCHITECTURE §3):
 * `alerts` array → grafana (Grafana markers) or alertmanager (also ARMS);
 * `alertState` → cloudmonitor (legacy JSON callback);
 * `specversion`, or an array whose first item has one → eventbridge;
 * `action` → sweep (`"action":"guard"` → direct: the canonical guard request); anything else → direct.
 */
export function detectSource(value: unknown, trigger: TriggerKind): SourceName {
  if (trigger === 'timer') return 'sweep';
  if (Array.isArray(value)) return isRecord(value[0]) && Object.hasOwn(value[0], 'specversion') ? 'eventbridge' : 'direct';
  if (!isRecord(value)) return 'direct';
  if (Array.isArray(value.alerts)) return looksLikeGrafana(value) ? 'grafana' : 'alertmanager';
  if (Object.hasOwn(value, 'alertState')) return 'cloudmonitor';
  if (Object.hasOwn(value, 'specversion')) return 'eventbridge';
  if (Object.hasOwn(value, 'action')) return value.action === 'guard' ? 'direct' : 'sweep';
  return 'direct';
}
