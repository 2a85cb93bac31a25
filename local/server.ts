import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FcContext } from '../shared/fc.js';
import { fromFcResult, toFcEvent } from './fc-http.js';

// A local stand-in for the FC 3.0 runtime: one instance that runs `initialize` once, then
// feeds every HTTP request to the handler as an HTTP trigger event, the way FC does.


export interface LocalFunction {
  handler(event: Buffer, context: FcContext): Promise<unknown>;
  initialize?(context: FcContext): Promise<void>;
}

/** An extra route: answers the request itself and returns true, or returns false to pass. */
export type Route = (req: IncomingMessage, body: Buffer, res: ServerResponse, invoke: (event: Buffer) => Promise<unknown>) => Promise<boolean>;

export interface LocalOptions {
  port?: number;
  host?: string;
  region?: string;
  accountId?: string;
  functionName?: string;
  timeoutSeconds?: number;
  /** Extra routes (the FC invoke API) get first look at a request; return true if handled. */
  routes?: Route[];
}

export interface LocalRuntime {
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

/** FC's own cap on a synchronous request body; the function applies its smaller limit. */
const MAX_REQUEST_BYTES = 32 * 1024 * 1024;

export async function startLocalRuntime(fn: LocalFunction, options: LocalOptions = {}): Promise<LocalRuntime> {
  const region = options.region ?? 'cn-hangzhou';
  const accountId = options.accountId ?? '1234567890123456';
  const fnInfo = { name: options.functionName ?? 'stop-invocation', timeout: options.timeoutSeconds ?? 60, handler: 'index.handler', memory: 128 };
  const context = (requestId: string): FcContext => ({ requestId, region, accountId, function: fnInfo });

  if (fn.initialize) await fn.initialize(context(randomUUID()));

  const invoke = (event: Buffer, requestId: string = randomUUID()) => fn.handler(event, context(requestId));

  const server = createServer((req, res) => {
    readBody(req)
      .then(async (body) => {
        if (body === undefined) return send(res, 413, { 'content-type': 'application/json' }, Buffer.from('{"error":{"code":"PayloadTooLarge","message":"request body exceeds 32 MiB"}}'));
        for (const route of options.routes ?? []) {
          if (await route(req, body, res, (e) => invoke(e))) return;
        }
        const requestId = randomUUID();
        const event = toFcEvent(req, body, accountId, requestId);
        const result = fromFcResult(await invoke(Buffer.from(JSON.stringify(event)), requestId));
        send(res, result.status, { ...result.headers, 'x-fc-request-id': requestId }, result.body);
      })
      .catch((err: unknown) => {
        // FC answers an unhandled function error with 502 and the error type.
        const message = err instanceof Error ? err.message : String(err);
        send(res, 502, { 'content-type': 'application/json', 'x-fc-error-type': 'UnhandledInvocationError' }, Buffer.from(JSON.stringify({ errorMessage: message })));
      });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 9000, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_REQUEST_BYTES) over = true;
      else parts.push(c);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(parts)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: Buffer): void {
  if (res.headersSent) return;
  res.writeHead(status, { ...headers, 'content-length': String(body.length) });
  res.end(body);
}
