import { ApiError, missingParameter } from '../errors.js';

// Reading RPC parameters: flattened lists (`InstanceId.1`, `InstanceId.2`, …), required
// values and bounded integers, with the cloud's error codes.

export function required(params: Record<string, string>, name: string): string {
  const value = params[name];
  if (value === undefined || value === '') throw missingParameter(name);
  return value;
}

/** `Name.1`, `Name.2`, … in index order (a bare `Name` counts as one item). */
export function repeatList(params: Record<string, string>, name: string): string[] {
  const prefix = `${name}.`;
  const indexed: Array<[number, string]> = [];
  for (const [key, value] of Object.entries(params)) {
    if (!key.startsWith(prefix)) continue;
    const n = Number(key.slice(prefix.length));
    if (!Number.isInteger(n) || n < 1) {
      throw new ApiError(400, 'InvalidParameter', `The specified parameter "${key}" is not valid.`);
    }
    indexed.push([n, value]);
  }
  const list = indexed.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  const bare = params[name];
  if (bare !== undefined && bare !== '') list.unshift(bare);
  return list;
}

export function intParam(
  params: Record<string, string>,
  name: string,
  bounds: { min: number; max: number },
): number | undefined {
  const text = params[name];
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < bounds.min || n > bounds.max) {
    throw new ApiError(400, `InvalidParam.${name}`, `The specified parameter "${name}" is not valid: ${bounds.min}-${bounds.max} expected.`);
  }
  return n;
}
