import type { Verdict } from '../events/result.js';
import type { ResultEvent } from '../types.js';

/** FC 3.0 HTTP trigger response object. */
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: false;
}

/**
 * Verdict → HTTP response. The body is always the result event; on a 4xx/5xx it also
 * carries the §2.5 `error` object at the top level, where webhook senders look for it.
 */
export function toHttpResponse(verdict: Verdict): HttpResponse {
  const body: ResultEvent & { error?: unknown } = { ...verdict.event };
  if (verdict.status >= 400 && verdict.event.data.error) body.error = verdict.event.data.error;
  return {
    statusCode: verdict.status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...verdict.headers },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}
