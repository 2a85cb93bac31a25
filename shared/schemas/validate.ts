import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { badRequest } from '../errors.js';
import { cjsDefault } from '../interop.js';
import type { ErrorDetail } from '../types.js';

const addFormats = cjsDefault(addFormatsModule);

let shared: Ajv | undefined;
function ajv(): Ajv {
  if (!shared) {
    // strictRequired off: `anyOf: [{required: [a]}, {required: [b]}]` names properties defined a level up.
    shared = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
    addFormats(shared);
  }
  return shared;
}

/** Compile once per schema object; callers hold the result at module scope. */
export function compile<T>(schema: object): ValidateFunction<T> {
  return ajv().compile<T>(schema);
}

/** ajv errors → the §2.5 `details` list: a JSON-pointer-ish path and a plain reason. */
export function toDetails(errors: ErrorObject[] | null | undefined, prefix = ''): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  const seen = new Set<string>();
  const list = errors ?? [];
  // 'required' inside an anyOf branch is one alternative, not a hard requirement:
  // fold the alternatives into one readable line at the anyOf's location.
  const alternatives = new Map<string, string[]>();
  for (const e of list) {
    if (e.keyword === 'required' && /\/anyOf\/\d+\/required$/.test(e.schemaPath)) {
      const names = alternatives.get(e.instancePath) ?? [];
      names.push(String((e.params as { missingProperty: string }).missingProperty));
      alternatives.set(e.instancePath, names);
    }
  }
  for (const e of list) {
    if (e.keyword === 'required' && /\/anyOf\/\d+\/required$/.test(e.schemaPath)) continue;
    if (e.keyword === 'anyOf' && alternatives.has(e.instancePath)) {
      const names = alternatives.get(e.instancePath) ?? [];
      out.push({ path: prefix + (e.instancePath || '') || '/', message: `needs at least one of: ${names.join(', ')}` });
      continue;
    }
    let path = prefix + (e.instancePath || '');
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'additionalProperties') {
      path += `/${String((e.params as { additionalProperty: string }).additionalProperty)}`;
      message = 'is not a known field';
    } else if (e.keyword === 'required') {
      path += `/${String((e.params as { missingProperty: string }).missingProperty)}`;
      message = 'is required';
    } else if (e.keyword === 'anyOf' || e.keyword === 'oneOf') {
      continue; // the branch errors already say what is missing
    }
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path: path || '/', message });
  }
  return out;
}

/** Validate or throw a 400 with field paths. */
export function check<T>(validate: ValidateFunction<T>, value: unknown, what: string, prefix = ''): T {
  if (validate(value)) return value;
  throw badRequest(`${what} is invalid`, toDetails(validate.errors, prefix));
}
