import type { Verdict } from '../events/result.js';
import type { FcHttpResponse } from '../fc.js';

/**
 * The media type of a structured-mode CloudEvent in JSON (CloudEvents HTTP binding §3.2),
 * spelled exactly as the official SDKs match it.
 */
export const CLOUDEVENTS_JSON = 'application/cloudevents+json; charset=utf-8';

/**
 * Verdict → HTTP response: the body is the result event as a structured-mode CloudEvent,
 * every status included. Error details stay inside `data.error`: a top-level `error` would
 * be an extension attribute, and an object is not a CloudEvents attribute type.
 */
export function toHttpResponse(verdict: Verdict): FcHttpResponse {
  return {
    statusCode: verdict.status,
    headers: { 'content-type': CLOUDEVENTS_JSON, 'cache-control': 'no-store', ...verdict.headers },
    body: JSON.stringify(verdict.event),
    isBase64Encoded: false,
  };
}
