import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Route } from './server.js';

// The FC 2016-08-15 invoke API (`POST /2016-08-15/services/{s}/functions/{f}/invocations`)
// served by the local runtime, so `@alicloud/fc2`'s invokeFunction drives the local
// function exactly as it drives a deployed one. The request is checked like FC checks it:
// `Authorization: FC <ak>:<base64 HMAC-SHA256>` over method, Content-MD5, Content-Type,
// Date, the sorted x-fc-* headers and the path.

const PATH = /^\/2016-08-15\/services\/([^/]+)\/functions\/([^/]+)\/invocations\/?$/;
const MAX_SKEW_MS = 15 * 60 * 1000;

export interface InvokeApiOptions {
  /** The secret for an access key id, or undefined when the key is unknown. */
  accessKeySecretFor(accessKeyId: string): string | undefined;
}


export function fcInvokeRoute(options: InvokeApiOptions): Route {
  return async (req, body, res, invoke) => {
    const url = new URL(req.url ?? '/', 'http://local');
    if (!PATH.test(url.pathname)) return false;
    const requestId = randomUUID();
    const fail = (status: number, code: string, message: string) => {
      const payload = Buffer.from(JSON.stringify({ ErrorCode: code, ErrorMessage: message }));
      res.writeHead(status, { 'content-type': 'application/json', 'x-fc-request-id': requestId, 'content-length': String(payload.length) });
      res.end(payload);
      return true;
    };
    if (req.method !== 'POST') return fail(405, 'MethodNotAllowed', 'invoke with POST');
    const problem = checkSignature(req, url.pathname, body, options);
    if (problem) return fail(problem.status, problem.code, problem.message);

    const asyncInvoke = String(req.headers['x-fc-invocation-type'] ?? '').toLowerCase() === 'async';
    if (asyncInvoke) {
      // FC queues async invocations and answers 202 at once; run it after answering.
      res.writeHead(202, { 'x-fc-request-id': requestId, 'content-length': '0' });
      res.end();
      void invoke(body).catch(() => undefined);
      return true;
    }
    try {
      const result = await invoke(body);
      const payload = Buffer.from(typeof result === 'string' ? result : JSON.stringify(result ?? null));
      res.writeHead(200, { 'content-type': 'application/json', 'x-fc-request-id': requestId, 'content-length': String(payload.length) });
      res.end(payload);
    } catch (err) {
      const payload = Buffer.from(JSON.stringify({ errorMessage: err instanceof Error ? err.message : String(err), errorType: 'Error' }));
      res.writeHead(200, { 'content-type': 'application/json', 'x-fc-request-id': requestId, 'x-fc-error-type': 'UnhandledInvocationError', 'content-length': String(payload.length) });
      res.end(payload);
    }
    return true;
  };
}

function checkSignature(req: IncomingMessage, path: string, body: Buffer, options: InvokeApiOptions): { status: number; code: string; message: string } | undefined {
  const header = String(req.headers.authorization ?? '');
  const m = /^FC ([^:\s]+):(\S+)$/.exec(header);
  if (!m) return { status: 401, code: 'InvalidArgument', message: 'missing or malformed Authorization header (expected FC <AccessKeyId>:<Signature>)' };
  const secret = options.accessKeySecretFor(m[1]);
  if (!secret) return { status: 403, code: 'InvalidAccessKeyID', message: 'the access key id is not known' };
  const date = String(req.headers.date ?? '');
  const when = Date.parse(date);
  if (!Number.isFinite(when) || Math.abs(Date.now() - when) > MAX_SKEW_MS) {
    return { status: 403, code: 'RequestTimeTooSkewed', message: 'the Date header is missing or more than 15 minutes off' };
  }
  const md5 = String(req.headers['content-md5'] ?? '');
  if (md5 && md5 !== Buffer.from(createHash('md5').update(body).digest('hex'), 'utf8').toString('base64')) {
    return { status: 400, code: 'InvalidArgument', message: 'Content-MD5 does not match the body' };
  }
  const fcHeaders = Object.keys(req.headers)
    .filter((k) => k.startsWith('x-fc-'))
    .sort()
    .map((k) => `${k}:${String(req.headers[k])}\n`)
    .join('');
  const stringToSign = `POST\n${md5}\n${String(req.headers['content-type'] ?? '')}\n${date}\n${fcHeaders}${path}`;
  const expected = createHmac('sha256', secret).update(stringToSign, 'utf8').digest();
  const given = Buffer.from(m[2], 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { status: 403, code: 'SignatureNotMatch', message: 'the request signature does not match' };
  }
  return undefined;
}
