/**
 * The default export of a CommonJS package compiled from TypeScript: Node's ESM loader
 * hands over `module.exports` (with the real export under `.default`), bundlers may hand
 * over the export itself. Accept both.
 */
export function cjsDefault<T>(mod: T | { default: T }): T {
  if ((typeof mod === 'object' || typeof mod === 'function') && mod !== null && 'default' in mod && mod.default) {
    return mod.default;
  }
  return mod as T;
}
