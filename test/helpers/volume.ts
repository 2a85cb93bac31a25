// How much storm and random input the suite sends, one place for both knobs.
//
// Issue #4's acceptance volumes run where CI=true (what .ci/run sets): the fault matrix sends
// 100 requests per fault, and the fuzz suite 4,000 runs per trigger (11,000 cases through the
// handler). A developer's `npm test` sends half of each: the same cases and assertions, in
// less time (docs/ARCHITECTURE.md "The suite"). The source adapters' hostile-input property
// runs 3,000 cases in both. FAULT_REQUESTS sets the first; FUZZ_RUNS sets the other two
// (a soak scales both random suites at once).

const ci = process.env.CI === 'true';

function knob(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** Requests per fault in the fault matrix storms (test/helpers/faults.ts). */
export const FAULT_REQUESTS = knob('FAULT_REQUESTS', ci ? 100 : 50);
/** fast-check runs per trigger in test/fuzz.test.ts. */
export const FUZZ_RUNS = knob('FUZZ_RUNS', ci ? 4000 : 2000);
/** fast-check runs of hostile input through the source adapters (test/sources.test.ts). */
export const ADAPTER_RUNS = knob('FUZZ_RUNS', 3000);
