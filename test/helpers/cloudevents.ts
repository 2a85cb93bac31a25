import { CloudEvent, HTTP } from 'cloudevents';
import { expect } from 'vitest';

// Conformance of our result events, checked by the official CloudEvents SDK
// (https://github.com/cloudevents/sdk-javascript): `HTTP.toEvent` must find a structured-mode
// event in the message and strict `validate()` must accept it. The SDK's structured parser
// builds the event non-strictly and its extension check accepts objects, so the spec's own
// rules on extension attributes are checked here as well:
// https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md#attribute-naming-convention
// https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md#type-system
// https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md#22-type-system-mapping

/** The 1.0 context attributes (required and optional) plus the JSON format's data members. */
const CONTEXT = new Set(['specversion', 'id', 'source', 'type', 'datacontenttype', 'dataschema', 'subject', 'time']);
const DATA_MEMBERS = new Set(['data', 'data_base64']);
const NAME = /^[a-z0-9]{1,20}$/;

export interface HttpMessage {
  headers: Record<string, string>;
  body: string;
}

/** Headers of a fetch Response as the plain record the SDK reads. */
export function headersOf(headers: Headers): Record<string, string> {
  return Object.fromEntries(headers.entries());
}

/**
 * Parses one structured-mode CloudEvent out of an HTTP message with the official SDK and
 * validates it strictly; returns the SDK's event and the raw JSON object.
 */
export function expectStructuredCloudEvent(message: HttpMessage): { event: CloudEvent<unknown>; raw: Record<string, unknown> } {
  expect(message.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
  const parsed = HTTP.toEvent({ headers: message.headers, body: message.body });
  expect(Array.isArray(parsed)).toBe(false);
  const event = parsed as CloudEvent<unknown>;
  expect(event.validate()).toBe(true);
  const raw = JSON.parse(message.body) as Record<string, unknown>;
  expectSpecAttributes(raw);
  // What the SDK read is what we sent (nothing dropped or renamed on the way).
  expect(event.id).toBe(raw['id']);
  expect(event.type).toBe(raw['type']);
  expect(event.source).toBe(raw['source']);
  expect(event.subject).toBe(raw['subject']);
  expect(event.data).toEqual(raw['data']);
  return { event, raw };
}

/**
 * The spec's rules on a JSON-format event's members: every attribute name lower-case
 * alphanumerics (at most 20), every attribute value a string, integer or boolean (never an
 * object, array, null or fraction), context attributes non-empty strings, and JSON `data`
 * declared as such.
 */
export function expectSpecAttributes(raw: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(raw)) {
    if (DATA_MEMBERS.has(name)) continue;
    expect(name, `attribute name ${name}`).toMatch(NAME);
    if (CONTEXT.has(name)) {
      expect(typeof value, `attribute ${name}`).toBe('string');
      expect((value as string).length, `attribute ${name}`).toBeGreaterThan(0);
      continue;
    }
    const ok = typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isInteger(value));
    expect(ok, `extension attribute ${name} has a ${value === null ? 'null' : typeof value} value`).toBe(true);
  }
  for (const required of ['specversion', 'id', 'source', 'type']) expect(raw, `required attribute ${required}`).toHaveProperty(required);
  expect(raw['specversion']).toBe('1.0');
  if (raw['data'] !== undefined && typeof raw['data'] === 'object') expect(raw['datacontenttype']).toMatch(/^application\/json\b/);
  expect(Number.isNaN(Date.parse(String(raw['time'])))).toBe(false);
}

/** An event object (an event invocation's return value, a published event) sent as structured mode. */
export function expectCloudEventObject(value: unknown): { event: CloudEvent<unknown>; raw: Record<string, unknown> } {
  return expectStructuredCloudEvent({ headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' }, body: JSON.stringify(value) });
}
