import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { FcContext } from '../../shared/fc.js';

// The function as FC 3.0 runs it: the CommonJS bundle loaded with require(), the
// initializer once, then handler(event: Buffer, context) per invocation.

export type { FcContext };


export interface BundledFunction {
  initialize?(context: FcContext): Promise<void>;
  handler(event: Buffer, context: FcContext): Promise<unknown>;
  /** The loader's V8 code cache status (scripts/build.mjs): accepted, rejected or absent. */
  codeCache?: string;
}

export function loadBundle(path: string): BundledFunction {
  const fn = createRequire(path)(path) as Partial<BundledFunction>;
  if (typeof fn.handler !== 'function') throw new Error(`${path} exports no handler`);
  return fn as BundledFunction;
}

export function fcContext(requestId: string = randomUUID()): FcContext {
  return {
    requestId,
    region: 'cn-hangzhou',
    accountId: '1234567890123456',
    function: { name: 'stop-invocation', timeout: 60, handler: 'index.handler', memory: 128, initializer: 'index.initialize' },
  };
}

/** The result event's `data` of an event invocation's result, or of an HTTP response body. */
export function dataOf(result: unknown): { outcome?: string; counts?: Record<string, number> } | undefined {
  const r = result as { data?: { outcome?: string }; body?: string } | undefined;
  if (r?.data) return r.data;
  if (typeof r?.body === 'string') {
    try {
      return (JSON.parse(r.body) as { data?: { outcome?: string } }).data;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The outcome of an event invocation's result (a CloudEvent), or of an HTTP response body. */
export function outcomeOf(result: unknown): string {
  const r = result as { data?: { outcome?: string }; body?: string; statusCode?: number } | undefined;
  if (r?.data?.outcome) return r.data.outcome;
  if (typeof r?.body === 'string') {
    try {
      return (JSON.parse(r.body) as { data?: { outcome?: string } }).data?.outcome ?? `http ${r.statusCode}`;
    } catch {
      return `http ${r.statusCode}`;
    }
  }
  return 'unknown';
}
