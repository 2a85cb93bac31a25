import { EcsError, toEcsError } from './errors.js';

// Exponential backoff with full jitter (sleep = random(0, min(cap, base·2^n))), honouring
// the service's x-acs-retry-after, and never starting an attempt that cannot finish
// before the per-invocation deadline. An attempt is everything one call needs: first its
// set-up (credentials, i.e. AssumeRole when the session is cold), then the call itself;
// both draw from the same deadline.

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per-attempt timeout, used to decide whether another attempt still fits. */
  attemptTimeoutMs: number;
  /** Absolute epoch ms by which everything must be done (function timeout minus a margin). */
  deadline?: number;
  /**
   * Run before each attempt, e.g. fetching credentials within the deadline (EcsApi.prepare).
   * Its failure is that attempt's failure (retried when retryable).
   */
  prepare?: (deadline: number | undefined) => Promise<void>;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface RetryOutcome<T> {
  value: T;
  attempts: number;
}

export class RetryError extends EcsError {
  constructor(cause: EcsError, readonly attempts: number) {
    super(cause.code, cause.message, cause.retryable, cause.statusCode, cause.requestId, cause.retryAfterMs);
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const deadlineExceeded = (what = 'not attempted') =>
  new EcsError('DeadlineExceeded', `${what}: too little time left before the function timeout (raise the function timeout or lower ECS_TIMEOUT_MS)`, true, 503);

export async function withRetry<T>(policy: RetryPolicy, call: (attempt: number) => Promise<T>): Promise<RetryOutcome<T>> {
  const now = policy.now ?? Date.now;
  const sleep = policy.sleep ?? defaultSleep;
  const random = policy.random ?? Math.random;
  const fits = () => policy.deadline === undefined || now() + policy.attemptTimeoutMs <= policy.deadline;
  for (let attempt = 1; ; attempt++) {
    // Never start a call that cannot finish before the function is cut off: an answer
    // saying what was left undone (retryable) beats FC killing the instance mid-stop.
    if (!fits()) throw new RetryError(deadlineExceeded(), attempt - 1);
    try {
      if (policy.prepare) {
        await policy.prepare(policy.deadline);
        // The set-up (a cold AssumeRole) took time of its own: check again.
        if (!fits()) throw deadlineExceeded('not attempted after fetching credentials');
      }
      return { value: await call(attempt), attempts: attempt };
    } catch (raw) {
      const err = toEcsError(raw);
      if (!err.retryable || attempt >= policy.maxAttempts) throw new RetryError(err, attempt);
      const backoff = Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)));
      const wait = Math.max(backoff, err.retryAfterMs ?? 0);
      if (policy.deadline !== undefined && now() + wait + policy.attemptTimeoutMs > policy.deadline) {
        throw new RetryError(err, attempt);
      }
      await sleep(wait);
    }
  }
}
