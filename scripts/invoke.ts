import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DefaultCredentialsProvider } from '@alicloud/credentials';
import FCClient from '@alicloud/fc2';

// Invoke the function through the FC 2016-08-15 invoke API with `@alicloud/fc2` (the
// `FC <AccessKeyId>:<signature>` scheme), synchronously or asynchronously:
//
//   npm run invoke -- --payload ../shared/samples/direct.json
//   npm run invoke -- --payload req.json --async --region cn-shanghai --account 1234…
//   npm run invoke -- --payload req.json --endpoint http://127.0.0.1:9000   # npm start
//
// Credentials: ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET (/_SECURITY_TOKEN), else the rest of
// the `@alicloud/credentials` default chain (CLI profile, ECS RAM role, …). The caller
// needs fc:InvokeFunction on the function.
//
// FC 3.0 note: the native FC 3.0 API is 2023-03-30 (`/2023-03-30/functions/{name}/
// invocations`, no services). This tool speaks 2016-08-15, which addresses
// `services/{service}/functions/{function}`. Functions created in FC 2.0 stay invocable
// this way; whether (and under which service name) a function created in FC 3.0 is
// reachable through 2016-08-15 is not documented in what we could find, so pass
// `--service` explicitly and check `docs/DEPLOY.md`. The HTTP trigger URL works either way.

export interface InvokeOptions {
  /** The event: the request JSON, a CloudEvent, a timer event… */
  payload: string | Buffer;
  service: string;
  functionName: string;
  qualifier?: string;
  /** `x-fc-invocation-type: Async`: FC queues it and answers 202 at once. */
  async?: boolean;
  region: string;
  accountId: string;
  /** Base URL; default `https://<account>.<region>.fc.aliyuncs.com`. */
  endpoint?: string;
  /** Default: the `@alicloud/credentials` default chain. */
  credentials?: { accessKeyId: string; accessKeySecret: string; securityToken?: string };
  timeoutMs?: number;
}

export interface InvokeResult {
  /** 200 for a synchronous invocation, 202 when FC accepted an async one. */
  status: number;
  async: boolean;
  requestId?: string;
  /** What the function returned (the result event for event invocations). */
  result?: unknown;
  /** Set when the function itself failed (FC answers 200 with `x-fc-error-type`). */
  functionError?: { type: string; message?: string };
}

export class InvokeError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status?: number,
    readonly requestId?: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'InvokeError';
  }
}

const HINTS: Record<string, string> = {
  SignatureNotMatch: 'the access key secret does not match the key id (or the clock is off): check ALIBABA_CLOUD_ACCESS_KEY_SECRET',
  InvalidAccessKeyID: 'the access key id is unknown to this endpoint: check ALIBABA_CLOUD_ACCESS_KEY_ID and --account/--region',
  RequestTimeTooSkewed: 'the local clock is more than 15 minutes off',
  AccessDenied: 'the caller needs fc:InvokeFunction on this function',
  ServiceNotFound: 'no such service: check --service (for an FC 3.0 function see docs/DEPLOY.md on the 2016-08-15 API)',
  FunctionNotFound: 'no such function: check --function and --region',
  InvalidArgument: 'the request was malformed (payload, headers or Authorization)',
};

/** One invocation. Throws InvokeError with a code, the HTTP status and a hint. */
export async function invoke(options: InvokeOptions): Promise<InvokeResult> {
  const creds = options.credentials ?? (await defaultCredentials());
  const client = new FCClient(options.accountId, {
    accessKeyID: creds.accessKeyId,
    accessKeySecret: creds.accessKeySecret,
    securityToken: creds.securityToken || undefined,
    region: options.region,
    secure: true,
    endpoint: options.endpoint?.replace(/\/+$/, ''),
    timeout: options.timeoutMs ?? 120_000,
  });
  const headers: Record<string, string> = options.async ? { 'x-fc-invocation-type': 'Async' } : {};
  let response: Awaited<ReturnType<FCClient['invokeFunction']>>;
  try {
    response = await client.invokeFunction(options.service, options.functionName, options.payload, headers, options.qualifier);
  } catch (err) {
    throw toInvokeError(err, options);
  }
  const requestId = header(response.headers, 'x-fc-request-id');
  const errorType = header(response.headers, 'x-fc-error-type');
  const data = response.data;
  if (errorType) {
    const message = typeof data === 'object' && data !== null && 'errorMessage' in data ? String((data as { errorMessage: unknown }).errorMessage) : String(data);
    return { status: 200, async: false, requestId, functionError: { type: errorType, message } };
  }
  if (options.async) return { status: 202, async: true, requestId };
  return { status: 200, async: false, requestId, result: parseMaybeJson(data) };
}

async function defaultCredentials(): Promise<{ accessKeyId: string; accessKeySecret: string; securityToken?: string }> {
  try {
    const c = await DefaultCredentialsProvider.builder().build().getCredentials();
    return { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, securityToken: c.securityToken };
  } catch (err) {
    throw new InvokeError(
      `no credentials: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      'NoCredentials',
      undefined,
      undefined,
      'export ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (or configure the aliyun CLI profile)',
    );
  }
}

function toInvokeError(err: unknown, options: InvokeOptions): InvokeError {
  const e = err as { message?: string; code?: string | number; name?: string };
  const message = String(e?.message ?? err);
  // @alicloud/fc2: "POST /services/… failed with 403. requestid: …, message: …."
  const status = /failed with (\d{3})/.exec(message)?.[1];
  const requestId = /requestid: ([^,\s]+)/.exec(message)?.[1];
  const code = typeof e?.code === 'string' && e.code !== 'undefined' ? e.code : undefined;
  if (status) {
    const detail = /message: (.*?)\.?$/.exec(message)?.[1];
    const c = code ?? `HTTP${status}`;
    return new InvokeError(`${c} (HTTP ${status})${detail && detail !== 'undefined' ? `: ${detail}` : ''}`, c, Number(status), requestId, HINTS[c]);
  }
  const where = options.endpoint ?? `https://${options.accountId}.${options.region}.fc.aliyuncs.com`;
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|ETIMEDOUT|timeout/i.test(message) || /^E[A-Z]+$/.test(String(e?.code ?? ''))) {
    const reason = typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code) ? e.code : message.split('\n')[0];
    return new InvokeError(`cannot reach ${where}: ${reason}`, String(e?.code ?? 'NetworkError'), undefined, undefined, 'check --endpoint/--region/--account and the network');
  }
  return new InvokeError(message, code ?? e?.name ?? 'Error');
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function parseMaybeJson(data: unknown): unknown {
  if (Buffer.isBuffer(data)) data = data.toString('utf8');
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

// ---- CLI ----------------------------------------------------------------------------

export interface CliOptions extends Omit<InvokeOptions, 'payload' | 'credentials'> {
  payloadFile: string;
}

const USAGE = `usage: tsx scripts/invoke.ts --payload <file|-> [--async] [--service s] [--function f]
         [--qualifier q] [--region r] [--account id] [--endpoint http://127.0.0.1:9000]

  --payload   JSON file with the event (- reads stdin)
  --service   FC 2016-08-15 service name (env FC_SERVICE_NAME; default: default)
  --function  function name (env FC_FUNCTION_NAME; default: stop-invocation)
  --region    env FC_REGION / ALIBABA_CLOUD_REGION_ID; default cn-hangzhou
  --account   env FC_ACCOUNT_ID / ALIBABA_CLOUD_ACCOUNT_ID (required)
  --endpoint  base URL instead of https://<account>.<region>.fc.aliyuncs.com
  --async     queue the invocation (x-fc-invocation-type: Async) and print the request id`;

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') continue;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new UsageError(`unexpected argument '${a}'`);
    const [, name, inline] = m;
    if (name === 'async' || name === 'help') {
      flags[name] = true;
      continue;
    }
    if (!['payload', 'service', 'function', 'qualifier', 'region', 'account', 'endpoint'].includes(name)) throw new UsageError(`unknown option --${name}`);
    const value = inline ?? args[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
    flags[name] = value;
  }
  if (flags.help) throw new UsageError('');
  const str = (name: string) => (typeof flags[name] === 'string' ? (flags[name] as string) : undefined);
  const payloadFile = str('payload');
  if (!payloadFile) throw new UsageError('--payload is required');
  const accountId = str('account') ?? env.FC_ACCOUNT_ID ?? env.ALIBABA_CLOUD_ACCOUNT_ID;
  if (!accountId) throw new UsageError('the account id is required: --account <id> or FC_ACCOUNT_ID');
  return {
    payloadFile,
    service: str('service') ?? env.FC_SERVICE_NAME ?? 'default',
    functionName: str('function') ?? env.FC_FUNCTION_NAME ?? 'stop-invocation',
    qualifier: str('qualifier'),
    region: str('region') ?? env.FC_REGION ?? env.ALIBABA_CLOUD_REGION_ID ?? 'cn-hangzhou',
    accountId,
    endpoint: str('endpoint'),
    async: flags.async === true,
  };
}

export class UsageError extends Error {}

/** The CLI: prints the result JSON on stdout, errors on stderr; returns the exit code. */
export async function main(argv: string[], io = { out: process.stdout, err: process.stderr, env: process.env }): Promise<number> {
  let options: CliOptions;
  try {
    options = parseArgs(argv, io.env);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err.write(`${err.message ? `error: ${err.message}\n\n` : ''}${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  let payload: Buffer;
  try {
    payload = options.payloadFile === '-' ? readFileSync(0) : readFileSync(resolve(options.payloadFile));
  } catch (err) {
    io.err.write(`error: cannot read the payload '${options.payloadFile}': ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  try {
    const { payloadFile: _ignored, ...rest } = options;
    // Keys in the environment win; otherwise the @alicloud/credentials default chain.
    const credentials =
      io.env.ALIBABA_CLOUD_ACCESS_KEY_ID && io.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET
        ? { accessKeyId: io.env.ALIBABA_CLOUD_ACCESS_KEY_ID, accessKeySecret: io.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET, securityToken: io.env.ALIBABA_CLOUD_SECURITY_TOKEN }
        : undefined;
    const result = await invoke({ ...rest, payload, credentials });
    io.out.write(JSON.stringify(result, null, 2) + '\n');
    if (result.functionError) {
      io.err.write(`the function failed: ${result.functionError.type}${result.functionError.message ? `: ${result.functionError.message}` : ''}\n`);
      return 1;
    }
    return 0;
  } catch (err) {
    if (err instanceof InvokeError) {
      io.err.write(`error: ${err.message}${err.requestId ? ` (request id ${err.requestId})` : ''}\n`);
      if (err.hint) io.err.write(`hint: ${err.hint}\n`);
      return 1;
    }
    io.err.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (isMain) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
