/** `list.every(predicate)`, but never true for an empty or missing list: an assertion that cannot fail is none. */
export function everyOf<T>(list: readonly T[] | undefined, predicate: (item: T) => unknown): boolean {
  return list !== undefined && list.length > 0 && list.every(predicate);
}
