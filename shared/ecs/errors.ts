import { CredentialError } from '../credentials.js';

// ECS (and STS) failures, normalised to what the pipeline needs: a code, whether a retry
// can help, how long the service asked us to wait, and the HTTP status to pass on.

export class EcsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    readonly statusCode?: number,
    readonly requestId?: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'EcsError';
  }
}

interface SdkErrorLike {
  code?: unknown;
  statusCode?: unknown;
  requestId?: unknown;
  retryAfter?: unknown;
  message?: unknown;
  name?: unknown;
  data?: unknown;
}

const RETRYABLE_CODE = /^(Throttling|InternalError|ServiceUnavailable|UnknownError|ServiceTimeout|Service\.Unavailable|OperationConflict|LastTokenProcessing|InvalidSecurityToken\.Expired)/i;
// The function's own keys or role being refused or lacking permission: configuration.
const OUR_CREDENTIALS = /^(InvalidAccessKeyId|SignatureDoesNotMatch|IncompleteSignature|InvalidSecurityToken|InvalidTimeStamp|Forbidden\.RAM|NoPermission|Forbidden\.NoPermission)/;
const NETWORK = /timeout|timed out|ECONNRESET|ECONNREFUSED|ECONNABORTED|EPIPE|EHOSTUNREACH|ENETUNREACH|socket hang up|ENOTFOUND|EAI_AGAIN|other side closed|network/i;

/** Whatever the SDK threw → EcsError. Unknown failures count as retryable: bounded attempts cap the cost. */
export function toEcsError(err: unknown): EcsError {
  if (err instanceof EcsError) return err;
  // Credentials are fetched inside the SDK call; keep their classification.
  if (err instanceof CredentialError) return new EcsError(err.code, err.message, err.retryable);
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorLike;
  const message = typeof e.message === 'string' ? e.message : String(err);
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const requestId = typeof e.requestId === 'string' && e.requestId !== 'undefined' ? e.requestId : undefined;
  const code = typeof e.code === 'string' && e.code !== 'undefined' && e.code !== '' ? e.code : undefined;
  if (code && status !== undefined) {
    const retryAfterMs = typeof e.retryAfter === 'number' && e.retryAfter >= 0 ? e.retryAfter : undefined;
    const retryable = status >= 500 || status === 429 || RETRYABLE_CODE.test(code);
    // ECS refusing *our* credentials is our configuration, not the sender's request: no
    // 4xx of ECS's is passed on for it (the result says 424 and names the code).
    const ours = OUR_CREDENTIALS.test(code) && !retryable;
    return new EcsError(code, cleanMessage(message), retryable, ours ? undefined : status, requestId, retryAfterMs);
  }
  if (err instanceof SyntaxError || /Unexpected token|JSON/i.test(message)) {
    return new EcsError('BadGateway', 'ECS answered with a body that is not JSON', true, 502);
  }
  if (NETWORK.test(message) || (typeof e.name === 'string' && /Timeout/i.test(e.name))) {
    const timeout = /timeout|timed out/i.test(message) || (typeof e.name === 'string' && /Timeout/i.test(e.name));
    // The HTTP client appends the whole request URL to its message; the reason is enough.
    const reason = message.replace(/\s*(GET|POST|PUT|DELETE)\s+https?:\/\/\S*/g, '').slice(0, MAX_RAW_MESSAGE);
    return new EcsError(timeout ? 'RequestTimeout' : 'NetworkError', reason, true, 504);
  }
  return new EcsError('UnknownError', message.slice(0, MAX_RAW_MESSAGE), true);
}

/**
 * The SDK's message is `code: 404, <text> request id: <id>`; keep the text. Not cut short
 * here: a secret cut in half would escape the redactor, so the result clips after scrubbing.
 */
function cleanMessage(message: string): string {
  return message.replace(/^code: \d+, /, '').replace(/\s*request id: \S*$/, '').slice(0, MAX_RAW_MESSAGE);
}

/** Bounds the work of the redactor, far above what the result keeps. */
const MAX_RAW_MESSAGE = 8192;
