// How much work each stage does. `--quick` keeps every stage (so the harness cannot rot
// unnoticed) with fewer runs and requests, for CI; its numbers are smoke, not evidence.

export interface Plan {
  quick: boolean;
  /** Cold start: measured rounds (each spawns every variant once) and unmeasured warm-up rounds. */
  coldRounds: number;
  coldWarmupRounds: number;
  /** Cold start under FC's 10% CPU quota: rounds (each spawns every quota variant once). */
  coldQuotaRounds: number;
  /** The same with a 10 ms CFS period instead of 100 ms (reference). */
  coldQuota10Rounds: number;
  /** Warm overhead: child processes, and requests per process (after a warm-up). */
  warmRuns: number;
  warmRequests: number;
  warmWarmup: number;
  /** Scale: measured calls per VERIFY setting (after one warm-up call). */
  scaleRuns: number;
  scaleInstances: number;
  scaleLatencyMs: number;
  /** Alert round trips: measured alerts (after one warm-up) and the ECS latency. */
  alertRuns: number;
  alertLatencyMs: number;
  /** Burst: runs, and duplicate deliveries per run. */
  burstRuns: number;
  burstSize: number;
  /** Throughput: runs, seconds per run, workers. */
  throughputRuns: number;
  throughputSeconds: number;
  throughputConcurrency: number;
  throughputLatencyMs: number;
}

export function makePlan(quick: boolean): Plan {
  const common = { scaleInstances: 1000, scaleLatencyMs: 100, alertLatencyMs: 100, throughputConcurrency: 50, throughputLatencyMs: 20 };
  return quick
    ? {
        ...common,
        quick,
        coldRounds: 1,
        coldWarmupRounds: 0,
        coldQuotaRounds: 1,
        coldQuota10Rounds: 1,
        warmRuns: 1,
        warmRequests: 200,
        warmWarmup: 20,
        scaleRuns: 1,
        alertRuns: 2,
        burstRuns: 1,
        burstSize: 200,
        throughputRuns: 1,
        throughputSeconds: 1,
      }
    : {
        ...common,
        quick,
        coldRounds: 11,
        coldWarmupRounds: 1,
        coldQuotaRounds: 7,
        coldQuota10Rounds: 3,
        warmRuns: 3,
        warmRequests: 2000,
        warmWarmup: 200,
        scaleRuns: 5,
        alertRuns: 7,
        burstRuns: 5,
        burstSize: 1000,
        throughputRuns: 3,
        throughputSeconds: 5,
      };
}
