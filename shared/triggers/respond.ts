import type { Verdict } from '../events/result.js';

/** FC 3.0 HTTP trigger response object. */
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: false;
}

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
export function toHttpResponse(verdict: Verdict): HttpResponse {
  return {
    statusCode: verdict.status,
    headers: { 'content-type': CLOUDEVENTS_JSON, 'cache-control': 'no-store', ...verdict.headers },
    body: JSON.stringify(verdict.event),
    isBase64Encoded: false,
  };
}
