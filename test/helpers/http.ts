import { Agent, request } from 'node:http';

// The tests' HTTP client. node:http, not fetch: a test that sends thousands of requests pays
// the client's CPU in full, and undici's fetch costs several times node:http's per request
// on this 2-core machine (docs/ARCHITECTURE.md §5 "The suite").

const agent = new Agent({ keepAlive: true });

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
}

export function httpRequest(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        resolve({ status: res.statusCode ?? 0, headers, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
