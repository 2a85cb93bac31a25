import type { FcContext, Runtime } from './runtime.js';
import { toHttpResponse, type HttpResponse } from './triggers/respond.js';
import type { ResultEvent } from './types.js';

export interface FcFunction {
  initialize(context: FcContext): Promise<void>;
  handler(event: Buffer, context: FcContext): Promise<HttpResponse | ResultEvent>;
}

/**
 * The two FC entry points over one lazily built Runtime (one per FC instance): HTTP
 * triggers get the FC HTTP response, events and timers the result event itself.
 */
export function createFunction(make: () => Runtime): FcFunction {
  let runtime: Runtime | undefined;
  const instance = () => (runtime ??= make());
  return {
    async initialize(context) {
      await instance().warm(context);
    },
    async handler(event, context) {
      const { trigger, verdict } = await instance().handle(event, context);
      return trigger === 'http' ? toHttpResponse(verdict) : verdict.event;
    },
  };
}
