import { request } from 'node:http';
import { signRpc, type AcsKeys, type RpcAnswer, type RpcCall } from './sign.js';

// The floor the cold-start ratio uses: the same signed call as sign.ts's callRpc, sent
// with node:http instead of fetch. fetch (undici) costs ~20 ms of CPU to load on first
// use, which the function never pays (its SDK speaks node:http), so a fetch floor would
// flatter every ratio taken against it. Kept in its own file: importing it loads node:http.

export function callRpcHttp(call: RpcCall, keys: AcsKeys): Promise<RpcAnswer> {
  const { url, headers } = signRpc(call, keys);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': '0' } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          body = { raw: text.slice(0, 200) };
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
