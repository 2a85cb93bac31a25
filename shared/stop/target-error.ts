import { CredentialError } from '../credentials.js';
import { toEcsError } from '../ecs/errors.js';
import type { TargetError } from '../types.js';

/** Any failure on the way to ECS → the per-target error of the result event. */
export function targetError(err: unknown, during: string): TargetError & { requestId?: string } {
  if (err instanceof CredentialError) return { code: err.code, message: err.message, retryable: err.retryable };
  const e = toEcsError(err);
  return {
    code: e.code,
    message: `${during}: ${e.message}`,
    retryable: e.retryable,
    statusCode: e.statusCode,
    retryAfterMs: e.retryAfterMs,
    requestId: e.requestId,
  };
}
