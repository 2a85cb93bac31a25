import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { generateValidators, OUTPUT } from '../scripts/gen-validators.js';
import { allSchemas } from '../scripts/schemas.js';
import { validatorFor } from '../shared/schemas/validate.js';

// The function validates with validators compiled ahead of time. They must be exactly what
// the schemas produce today, and behave exactly like ajv compiling the schema at run time.

describe('precompiled validators', () => {
  it('shared/schemas/generated/validators.js is up to date (else: npm run gen:validators)', () => {
    expect(readFileSync(OUTPUT, 'utf8')).toBe(generateValidators());
  });

  it('every schema has one', () => {
    for (const schema of allSchemas) expect(() => validatorFor(schema)).not.toThrow();
    expect(() => validatorFor({ $id: 'no-such-schema' })).toThrow(/gen:validators/);
  });

  it('agree with ajv compiling the same schema at run time, on valid-looking and random input', () => {
    const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
    const ids = fc.constantFrom('i-abc123', 'i-', 'I-ABC', 't-abc', 'c-x', 'cn-hangzhou', 'x', '', '😀'.repeat(70), 'a'.repeat(129));
    const input = fc.oneof(
      fc.record({
        regionId: fc.oneof(ids, fc.string()),
        invokeId: fc.oneof(ids, fc.string()),
        instanceIds: fc.array(fc.oneof(ids, fc.string()), { maxLength: 4 }),
        commandName: fc.oneof(ids, fc.string({ maxLength: 200 })),
        reason: fc.string({ maxLength: 1100 }),
        dryRun: fc.oneof(fc.boolean(), fc.string()),
      }, { requiredKeys: [] }),
      fc.jsonValue(),
    );
    for (const schema of allSchemas) {
      const runtime = ajv.compile(schema);
      const precompiled = validatorFor(schema);
      fc.assert(
        // node:assert, not expect, in a property of thousands of runs (sources.test.ts invariants() says why).
        fc.property(input, (value) => {
          assert.equal(precompiled(value), runtime(value));
          assert.deepEqual(precompiled.errors?.map((e) => `${e.instancePath} ${e.keyword}`) ?? null, runtime.errors?.map((e) => `${e.instancePath} ${e.keyword}`) ?? null);
        }),
        { numRuns: 300 },
      );
    }
  });
});
