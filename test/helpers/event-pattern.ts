// A small EventBridge event-pattern matcher, written from Alibaba Cloud's "Event patterns"
// page (https://www.alibabacloud.com/help/en/eventbridge/latest/event-patterns), to test the
// trigger's filter in s.yaml against documented events without the cloud:
// - the event must have every field of the pattern, with the same nesting (AND across keys);
// - a pattern value is an array of conditions, any of which may match (OR);
// - a condition is an exact value (case-sensitive; numbers compared as written) or one of
//   prefix, suffix, contains, anything-but (value, list or {prefix}), numeric, exists;
// - an event value that is an array matches when one of its items does.
// An operator the page describes but this matcher does not know (cidr) throws, so a
// pattern that needs it cannot pass by accident.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function matches(pattern: Record<string, unknown>, event: unknown): boolean {
  if (!isObject(event)) return false;
  return Object.entries(pattern).every(([key, condition]) => {
    const present = Object.hasOwn(event, key);
    const value = event[key] as Json | undefined;
    if (Array.isArray(condition)) return condition.some((c) => one(c, present, value));
    if (isObject(condition)) return present && matches(condition, value);
    throw new Error(`pattern field ${key} must be an array of conditions or an object`);
  });
}

function one(condition: unknown, present: boolean, value: Json | undefined): boolean {
  if (isObject(condition)) {
    const [op, arg, ...rest] = Object.entries(condition).flat();
    if (rest.length > 0) throw new Error(`one operator per condition: ${JSON.stringify(condition)}`);
    if (op === 'exists') return present === arg;
    if (!present) return false;
    const values = Array.isArray(value) ? value : [value];
    return values.some((v) => operator(String(op), arg, v as Json));
  }
  if (!present) return false;
  const values = Array.isArray(value) ? value : [value];
  return values.some((v) => same(condition, v as Json));
}

function operator(op: string, arg: unknown, v: Json): boolean {
  switch (op) {
    case 'prefix':
      return typeof v === 'string' && v.startsWith(String(arg));
    case 'suffix':
      return typeof v === 'string' && v.endsWith(String(arg));
    case 'contains':
      return typeof v === 'string' && v.includes(String(arg));
    case 'anything-but':
      if (isObject(arg) && typeof arg.prefix === 'string') return typeof v === 'string' && !v.startsWith(arg.prefix);
      return !(Array.isArray(arg) ? arg : [arg]).some((a) => same(a, v));
    case 'numeric': {
      if (typeof v !== 'number' || !Array.isArray(arg)) return false;
      for (let i = 0; i < arg.length; i += 2) {
        const [cmp, n] = [String(arg[i]), Number(arg[i + 1])];
        const ok = cmp === '=' ? v === n : cmp === '>' ? v > n : cmp === '>=' ? v >= n : cmp === '<' ? v < n : cmp === '<=' ? v <= n : undefined;
        if (ok === undefined) throw new Error(`unknown numeric comparison ${cmp}`);
        if (!ok) return false;
      }
      return true;
    }
    default:
      throw new Error(`event pattern operator '${op}' is not supported by this matcher`);
  }
}

/** Exact match; numbers as written (300 and 300.0 differ), strings case-sensitively. */
const same = (a: unknown, v: Json): boolean => (typeof a === typeof v || a === null || v === null) && JSON.stringify(a) === JSON.stringify(v);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
