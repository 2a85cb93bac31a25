import type { ErrorObject, ValidateFunction } from 'ajv';
import { badRequest } from '../errors.js';
import type { ErrorDetail } from '../types.js';
import { byId } from './generated/validators.js';

/**
 * The precompiled validator for a schema (by its `$id`): start-up compiles nothing and the
 * bundle carries no ajv compiler. A schema missing from the generated file is a build
 * mistake, caught by test/validators.test.ts; `npm run gen:validators` fixes it.
 */
export function validatorFor<T>(schema: { $id: string }): ValidateFunction<T> {
  const validate = byId[schema.$id];
  if (!validate) throw new Error(`no precompiled validator for schema '${schema.$id}': run npm run gen:validators`);
  return validate as ValidateFunction<T>;
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
