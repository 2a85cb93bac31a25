// What a helper started for one test file and must end with it (test/setup.ts runs these after
// every file). Files share a worker (vitest.config.ts `isolate: false`), so anything left
// running would otherwise reach the next file. Kept free of imports: every file loads it.

const pending = new Set<() => Promise<void>>();

export function atFileEnd(end: () => Promise<void>): void {
  pending.add(end);
}

export async function endFile(): Promise<void> {
  const ends = [...pending];
  pending.clear();
  await Promise.all(ends.map((end) => end()));
}
