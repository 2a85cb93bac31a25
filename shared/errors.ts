import type { ErrorBody, ErrorDetail } from './types.js';

/** Error details per refusal; the rest are summarized in one line. */
export const MAX_DETAILS = 50;
const MAX_MESSAGE = 2000;
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * A refusal the caller can act on: carries the HTTP status and the §2.5 error body.
 * Thrown by any stage before ECS is touched; the pipeline turns it into a `rejected` result.
 */
export class RequestError extends Error {
  readonly details: ErrorDetail[];

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    details: ErrorDetail[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(clip(message, MAX_MESSAGE));
    this.name = 'RequestError';
    // Bounded whatever the input: 30,000 bad ids make 50 details and one summary line.
    this.details = details.slice(0, MAX_DETAILS).map((d) => ({ path: clip(d.path, 300), message: clip(d.message, 500) }));
    if (details.length > MAX_DETAILS) this.details.push({ path: '/', message: `and ${details.length - MAX_DETAILS} more problems like these` });
  }

  toBody(): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, message: this.message };
    if (this.details.length > 0) error.details = this.details;
    return { error };
  }
}

export const badRequest = (message: string, details: ErrorDetail[] = []) =>
  new RequestError(400, 'InvalidRequest', message, details);

export const unsupportedMediaType = (contentType: string, accepted: string[]) =>
  new RequestError(
    415,
    'UnsupportedMediaType',
    `content type '${contentType.slice(0, 100) || '(none)'}' is not accepted; send one of: ${accepted.join(', ')}`,
  );

/** Configuration is wrong: start-up must fail loudly, naming the variable. */
export class ConfigError extends Error {
  constructor(readonly variable: string, reason: string) {
    super(`configuration ${variable}: ${reason}`);
    this.name = 'ConfigError';
  }
}
