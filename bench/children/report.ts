// The least a cold-start child needs to answer the harness: its environment, its CPU time
// and one tagged stdout line. No other module: whatever a child loads counts in its cold
// start, so the floors load nothing the function would not (node:readline lives in
// protocol.ts, for the long-lived children only).

export const TAG = '@@bench ';

/** Replies, then exits once stdout has taken the line (a full pipe makes writes async). */
export function replyAndExit(message: Record<string, unknown>, code = 0): void {
  process.stdout.write(`${TAG}${JSON.stringify(message)}\n`, () => process.exit(code));
}

/** CPU this process has used since it started (user + system, every thread), in ms. */
export function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

export function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
}
