// Reading attacker-controlled header and query maps safely: own properties only (so
// `constructor` or `__proto__` never resolve to something inherited), strings only.

/** Longest credential value we look at; anything longer is refused without further work. */
export const MAX_CREDENTIAL_CHARS = 8192;

export function readField(record: Record<string, string> | undefined, name: string): string | undefined {
  if (record === null || typeof record !== 'object' || !Object.prototype.hasOwnProperty.call(record, name)) return undefined;
  const value: unknown = record[name];
  return typeof value === 'string' ? value : undefined;
}

/** The first of `names` present in `record`, with the name it was found under. */
export function readFirst(record: Record<string, string> | undefined, names: readonly string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = readField(record, name);
    if (value !== undefined) return { name, value };
  }
  return undefined;
}
