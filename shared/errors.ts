import type { ErrorBody, ErrorDetail } from './types.js';

/**
 * A refusal the caller can act on: carries the HTTP status and the §2.5 error body.
 * Thrown by any stage before ECS is touched; the pipeline turns it into a `rejected` result.
 */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'RequestError';
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
    `content type '${contentType || '(none)'}' is not accepted; send one of: ${accepted.join(', ')}`,
  );

/** Configuration is wrong: start-up must fail loudly, naming the variable. */
export class ConfigError extends Error {
  constructor(readonly variable: string, reason: string) {
    super(`configuration ${variable}: ${reason}`);
    this.name = 'ConfigError';
  }
}
