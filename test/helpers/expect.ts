/** `list.every(predicate)`, but never true for an empty or missing list: an assertion that cannot fail is none. */
export function everyOf<T>(list: readonly T[] | undefined, predicate: (item: T) => unknown): boolean {
  return list !== undefined && list.length > 0 && list.every(predicate);
}

/**
 * Polls `probe` until it returns a value (not undefined), or fails after `timeoutMs` naming
 * `what` (read then). Unlike `expect.poll` it needs no current test, so concurrent tests use it.
 */
export async function waitFor<T>(what: string | (() => string), probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
