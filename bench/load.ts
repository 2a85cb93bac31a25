import http from 'node:http';

// Load generation over loopback with node:http: single POSTs, a burst of N at once, and
// a closed loop of C workers for a fixed time. Every request has a timeout; loops end by
// themselves.

export interface Answer {
  status: number;
  ms: number;
  /** `data.outcome` of the result event in the body, when there is one. */
  outcome?: string;
  error?: string;
}

export function post(url: string, body: string, headers: Record<string, string>, agent: http.Agent, timeoutMs = 30_000): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers } },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const ms = performance.now() - started;
          let outcome: string | undefined;
          try {
            outcome = (JSON.parse(Buffer.concat(parts).toString('utf8')) as { data?: { outcome?: string } }).data?.outcome;
          } catch {
            outcome = undefined;
          }
          resolve({ status: res.statusCode ?? 0, ms, outcome });
        });
        res.on('error', (err) => resolve({ status: 0, ms: performance.now() - started, error: err.message }));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ status: 0, ms: performance.now() - started, error: err.message }));
    req.end(body);
  });
}

/** `n` identical requests issued in the same tick. */
export async function burst(url: string, body: string, headers: Record<string, string>, n: number): Promise<Answer[]> {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  try {
    return await Promise.all(Array.from({ length: n }, () => post(url, body, headers, agent)));
  } finally {
    agent.destroy();
  }
}

export interface LoopResult {
  answers: Answer[];
  elapsedMs: number;
}

/** `concurrency` workers, each sending its next request when the last one is answered. */
export async function closedLoop(
  url: string,
  body: () => string,
  headers: Record<string, string>,
  concurrency: number,
  durationMs: number,
): Promise<LoopResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const answers: Answer[] = [];
  const started = performance.now();
  const until = started + durationMs;
  const worker = async () => {
    while (performance.now() < until) answers.push(await post(url, body(), headers, agent, 10_000));
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return { answers, elapsedMs: performance.now() - started };
}

export function countBy<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}
