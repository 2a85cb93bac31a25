import { retryWanted } from './events/result.js';
import type { FcContext, FcHttpResponse } from './fc.js';
import type { FunctionInstance } from './instance.js';
import { toHttpResponse } from './triggers/respond.js';
import type { ResultEvent } from './types.js';

export interface FcFunction {
  initialize(context: FcContext): Promise<void>;
  handler(event: Buffer, context: FcContext): Promise<FcHttpResponse | ResultEvent>;
}

/**
 * An event or timer invocation that could not finish in a way a retry can fix. Thrown so
 * FC's asynchronous retry (asyncInvokeConfig, EventBridge deliveries) runs it again, the
 * way an HTTP sender retries a 5xx; the redelivery re-stops only what is not yet stopped.
 * The full result event has already been logged (and published) and rides along.
 */
export class RetryableStopError extends Error {
  constructor(readonly result: ResultEvent) {
    const { counts, error } = result.data;
    super(
      `stop incomplete, a retry can help: ${counts.failed} of ${counts.requested} target(s) failed (${error?.code ?? 'error'}); ` +
        `result event ${result.id}`,
    );
    this.name = 'RetryableStopError';
  }
}

/**
 * The two FC entry points over one lazily built FunctionInstance (one per FC instance): HTTP
 * triggers get the FC HTTP response, events and timers the result event itself.
 */
export function createEntryPoints(make: () => FunctionInstance): FcFunction {
  let built: FunctionInstance | undefined;
  const instance = () => (built ??= make());
  return {
    async initialize(context) {
      await instance().warm(context);
    },
    async handler(event, context) {
      const { trigger, verdict } = await instance().handle(event, context);
      if (trigger === 'http') return toHttpResponse(verdict);
      if (retryWanted(verdict)) throw new RetryableStopError(verdict.event);
      return verdict.event;
    },
  };
}
