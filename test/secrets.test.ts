import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../shared/errors.js';
import { loadConfig } from '../shared/config.js';
import { CredentialBroker } from '../shared/credentials.js';
import { Logger } from '../shared/log.js';
import { FunctionInstance } from '../shared/instance.js';
import { KmsSecrets, parseSecretValue, SecretValueError, secretRegion } from '../shared/secrets.js';
import { sharedFile } from './helpers/samples.js';
import { emulator, startStack, type Stack } from './helpers/stack.js';
import type { Emulator } from '../emulator/index.js';

// WEBHOOK_SECRET_NAME end to end: the function reads its webhook credentials from KMS
// Secrets Manager (the emulator's GetSecretValue, signature-checked like ECS, as documented at
// https://www.alibabacloud.com/help/en/kms/key-management-service/developer-reference/api-getsecretvalue)
// at initialize, serves them from its cache, and picks up a rotation once the value is
// older than WEBHOOK_SECRET_REFRESH_SECONDS.

const SECRET = 'fc-stop-invocation/webhook';
const KMS_TOKEN = 'kms-token-3b1f0c9e8d7a6b5c4d3e2f1a';
const KMS_TOKEN_2 = 'kms-token-rotated-77aa66bb55cc44dd';
const KMS_PASSWORD = 'kms-basic-password-0987';

let emu: Emulator;
let stack: Stack | undefined;

beforeAll(async () => {
  emu = await emulator();
});

afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

afterAll(async () => {
  await emu.close();
});

/** The function with no webhook credentials in its environment, only the secret's name. */
async function kmsStack(env: Record<string, string> = {}): Promise<Stack> {
  stack = await startStack({ WEBHOOK_TOKENS: '', WEBHOOK_SECRET_NAME: SECRET, KMS_ENDPOINT: `https://${emu.kmsEndpoint}`, DEDUPE_TTL_SECONDS: '0', ...env });
  return stack;
}

const dryRun = { regionId: 'cn-hangzhou', instanceIds: ['i-bp1kms00000000000001'], dryRun: true };
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe('webhook credentials from KMS Secrets Manager', () => {
  it('reads the secret at initialize with a signed GetSecretValue and authenticates with its token and Basic user', async () => {
    emu.reset();
    emu.putSecret(SECRET, JSON.stringify({ WEBHOOK_TOKENS: KMS_TOKEN, WEBHOOK_BASIC_AUTH: `alertmanager:${KMS_PASSWORD}` }));
    const s = await kmsStack();
    // Initialize already read it: one call, signed, version 2016-01-20.
    const reads = emu.requests({ service: 'kms', action: 'GetSecretValue' });
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatchObject({ status: 200, signatureValid: true, params: expect.objectContaining({ SecretName: SECRET }) });

    expect((await s.post(dryRun, bearer(KMS_TOKEN))).status).toBe(200);
    const basic = `Basic ${Buffer.from(`alertmanager:${KMS_PASSWORD}`).toString('base64')}`;
    expect((await s.post(dryRun, { headers: { authorization: basic } })).status).toBe(200);
    expect((await s.post(dryRun, bearer('not-the-kms-token-000'))).status).toBe(401);
    // Served from the cache: still the one read.
    expect(emu.requests({ service: 'kms', action: 'GetSecretValue' })).toHaveLength(1);

    // The fetched values joined the logger's scrub list.
    expect(s.instance.log.scrub(`x ${KMS_TOKEN} ${KMS_PASSWORD} y`)).toBe('x [redacted] [redacted] y');
    expect(s.lines.join('')).not.toContain(KMS_TOKEN);
    expect(s.lines.join('')).toContain('"webhook secret loaded"');
  });

  it('keeps the environment credentials accepted next to the secret', async () => {
    emu.reset();
    emu.putSecret(SECRET, JSON.stringify({ WEBHOOK_TOKENS: KMS_TOKEN }));
    const s = await kmsStack({ WEBHOOK_TOKENS: 'env-token-00112233445566' });
    expect((await s.post(dryRun, bearer('env-token-00112233445566'))).status).toBe(200);
    expect((await s.post(dryRun, bearer(KMS_TOKEN))).status).toBe(200);
  });

  it('picks up a rotated secret once the cached value is older than WEBHOOK_SECRET_REFRESH_SECONDS', async () => {
    emu.reset();
    emu.putSecret(SECRET, JSON.stringify({ WEBHOOK_TOKENS: KMS_TOKEN }));
    const s = await kmsStack({ WEBHOOK_SECRET_REFRESH_SECONDS: '1' });
    expect((await s.post(dryRun, bearer(KMS_TOKEN))).status).toBe(200);
    emu.putSecret(SECRET, JSON.stringify({ WEBHOOK_TOKENS: KMS_TOKEN_2 }));

    // Poll with the new token until the refresh happened (bounded; no fixed sleep).
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline && (status = (await s.post(dryRun, bearer(KMS_TOKEN_2))).status) !== 200) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    expect((await s.post(dryRun, bearer(KMS_TOKEN))).status).toBe(401);
    expect(emu.requests({ service: 'kms', action: 'GetSecretValue' }).length).toBeGreaterThanOrEqual(2);
    expect(s.instance.log.scrub(KMS_TOKEN_2)).toBe('[redacted]');
  });

  it('serves the cached value until the refresh time, and keeps it when KMS fails later', async () => {
    emu.reset();
    emu.putSecret(SECRET, JSON.stringify({ WEBHOOK_TOKENS: KMS_TOKEN }));
    const s = await kmsStack({ WEBHOOK_SECRET_REFRESH_SECONDS: '300' });
    emu.putSecret(SECRET, JSON.stringify({ WEBHOOK_TOKENS: KMS_TOKEN_2 }));
    // Within the refresh time the rotation is not seen yet, and KMS is not asked again.
    expect((await s.post(dryRun, bearer(KMS_TOKEN_2))).status).toBe(401);
    expect((await s.post(dryRun, bearer(KMS_TOKEN))).status).toBe(200);
    expect(emu.requests({ service: 'kms' })).toHaveLength(1);
  });

  it('a failed refresh keeps the value read before (KMS down after initialize)', async () => {
    emu.reset();
    emu.putSecret(SECRET, JSON.stringify({ WEBHOOK_TOKENS: KMS_TOKEN }));
    const s = await kmsStack({ WEBHOOK_SECRET_REFRESH_SECONDS: '1' });
    emu.injectFault({ service: 'kms', action: 'GetSecretValue', status: 503, code: 'ServiceUnavailable' });
    // Poll until a refresh was attempted and failed; the old token must keep working throughout.
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !emu.requests({ service: 'kms' }).some((r) => r.status === 503)) {
      expect((await s.post(dryRun, bearer(KMS_TOKEN))).status).toBe(200);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(emu.requests({ service: 'kms' }).some((r) => r.status === 503)).toBe(true);
    expect((await s.post(dryRun, bearer(KMS_TOKEN))).status).toBe(200);
    expect(s.lines.join('')).toContain('webhook secret refresh failed; using the value read before');
  });

  it('without a value: 503 + Retry-After when KMS is unavailable, 424 when KMS refuses or the value is malformed', async () => {
    emu.reset();
    emu.injectFault({ service: 'kms', action: 'GetSecretValue', status: 503, code: 'ServiceUnavailable' });
    emu.putSecret(SECRET, JSON.stringify({ WEBHOOK_TOKENS: KMS_TOKEN }));
    let s = await kmsStack();
    let res = await s.post(dryRun, bearer(KMS_TOKEN));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.json.data.error?.code).toBe('KMS.ServiceUnavailable');
    // The fault cleared: the next request reads the secret and is accepted.
    emu.clearFaults();
    expect((await s.post(dryRun, bearer(KMS_TOKEN))).status).toBe(200);
    await s.close();

    emu.reset();
    s = await kmsStack();
    res = await s.post(dryRun, bearer(KMS_TOKEN));
    expect(res.status).toBe(424);
    expect(res.json.data.error?.code).toBe('KMS.Forbidden.ResourceNotFound');
    expect(emu.requests({ service: 'ecs' })).toHaveLength(0);
    await s.close();

    emu.reset();
    emu.putSecret(SECRET, JSON.stringify({ WEBHOOK_TOKEN: KMS_TOKEN }));
    s = await kmsStack();
    res = await s.post(dryRun, bearer(KMS_TOKEN));
    expect(res.status).toBe(424);
    expect(res.json.data.error?.code).toBe('WebhookSecret.Invalid');
    // The caller is not authenticated: the reason is in the log, not in the answer.
    expect(res.json.data.error?.message).not.toMatch(/WEBHOOK_TOKEN/);
    expect(s.lines.join('')).toMatch(/unknown key 'WEBHOOK_TOKEN'/);
    expect(JSON.stringify(res.json)).not.toContain(KMS_TOKEN);
  });

  it('reads with the function role (FC context keys), never the target role, and accepts a secret ARN', async () => {
    emu.reset();
    emu.putSecret(SECRET, JSON.stringify({ WEBHOOK_TOKENS: KMS_TOKEN }));
    const fcKeys = emu.issueStsCredentials();
    const lines: string[] = [];
    const runtime = new FunctionInstance({
      env: {
        ...process.env,
        ECS_ENDPOINT: `http://${emu.ecsEndpoint}`,
        STS_ENDPOINT: emu.stsEndpoint,
        TARGET_ROLE_ARN: emu.roleArn,
        WEBHOOK_TOKENS: '',
        WEBHOOK_SECRET_NAME: `acs:kms:cn-hangzhou:${emu.accountId}:secret/${SECRET}`,
        KMS_ENDPOINT: `https://${emu.kmsEndpoint}`,
      },
      write: (l) => void lines.push(l),
    });
    const context = { requestId: 'req-kms', region: 'cn-hangzhou', accountId: emu.accountId, credentials: fcKeys, function: { name: 'stop-invocation', timeout: 30 } };
    await runtime.warm(context);
    const event = JSON.parse(readFileSync(sharedFile('samples', 'fc-http-event.json'), 'utf8')) as { body: string; headers: Record<string, string> };
    event.body = JSON.stringify(dryRun);
    event.headers.Authorization = `Bearer ${KMS_TOKEN}`;
    const { verdict } = await runtime.handle(Buffer.from(JSON.stringify(event)), context);
    expect(verdict.status).toBe(200);
    const [read] = emu.requests({ service: 'kms', action: 'GetSecretValue' });
    expect(read).toMatchObject({ accessKeyId: fcKeys.accessKeyId, securityToken: true, signatureValid: true });
    expect(read?.accessKeyId).not.toBe(runtime.credentials.peek()?.accessKeyId);
    expect(lines.join('')).not.toContain(KMS_TOKEN);
  });

  it('the emulator checks the signature: a wrong secret key is refused', async () => {
    emu.reset();
    emu.putSecret(SECRET, JSON.stringify({ WEBHOOK_TOKENS: KMS_TOKEN }));
    const config = loadConfig({ KMS_ENDPOINT: `https://${emu.kmsEndpoint}` });
    const broker = new CredentialBroker(config, new Logger('error', [], {}, () => undefined));
    broker.useFcCredentials({ accessKeyId: emu.keys.accessKeyId, accessKeySecret: 'not-the-right-secret' });
    const err = await new KmsSecrets(config, broker.forOpenApi()).getSecretValue(SECRET, 'cn-hangzhou').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SignatureDoesNotMatch' });
    broker.useFcCredentials({ accessKeyId: emu.keys.accessKeyId, accessKeySecret: emu.keys.accessKeySecret });
    await expect(new KmsSecrets(config, broker.forOpenApi()).getSecretValue(SECRET, 'cn-hangzhou')).resolves.toMatchObject({ data: JSON.stringify({ WEBHOOK_TOKENS: KMS_TOKEN }) });
    // A binary secret comes back base64 and is decoded.
    emu.putSecret('bin', Buffer.from('{"WEBHOOK_TOKENS":"binary-token-000111"}').toString('base64'), 'binary');
    await expect(new KmsSecrets(config, broker.forOpenApi()).getSecretValue('bin', 'cn-hangzhou')).resolves.toMatchObject({ data: '{"WEBHOOK_TOKENS":"binary-token-000111"}' });
  });
});

describe('the secret value and its variables', () => {
  it('parses the documented JSON shape with the environment variables syntax', () => {
    expect(parseSecretValue(JSON.stringify({ WEBHOOK_TOKENS: 'aaaaaaaa1,bbbbbbbb2', WEBHOOK_SECRETS: 'whsec_dGVzdA==', WEBHOOK_BASIC_AUTH: 'u:p:w' }))).toEqual({
      webhookTokens: ['aaaaaaaa1', 'bbbbbbbb2'],
      webhookSecrets: ['whsec_dGVzdA=='],
      basicAuth: [{ username: 'u', password: 'p:w' }],
    });
    expect(parseSecretValue('{}')).toEqual({ webhookTokens: [], webhookSecrets: [], basicAuth: [] });
  });

  it.each([
    ['not JSON', 'WEBHOOK_TOKENS=abc', /not JSON/],
    ['an array', '["a"]', /JSON object/],
    ['an unknown key', '{"TOKENS":"abcdefgh"}', /unknown key 'TOKENS'/],
    ['a non-string value', '{"WEBHOOK_TOKENS":["abcdefgh"]}', /must be a string/],
    ['a short token', '{"WEBHOOK_TOKENS":"short-secret"}'.replace('short-secret', 'short'), /WEBHOOK_TOKENS in the secret value is malformed/],
    ['Basic without a password', '{"WEBHOOK_BASIC_AUTH":"user-only-value"}', /WEBHOOK_BASIC_AUTH/],
  ])('refuses %s without echoing it', (_label, text, expected) => {
    let err: unknown;
    try {
      parseSecretValue(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SecretValueError);
    expect((err as Error).message).toMatch(expected);
    expect((err as Error).message).not.toContain('user-only-value');
  });

  it('WEBHOOK_SECRET_NAME takes a name or an ARN; the refresh time is bounded', () => {
    expect(loadConfig({ WEBHOOK_SECRET_NAME: 'fc/webhook' })).toMatchObject({ webhookSecretName: 'fc/webhook', webhookSecretRefreshSeconds: 300 });
    expect(loadConfig({ WEBHOOK_SECRET_NAME: 'acs:kms:cn-shanghai:123456789012:secret/x', WEBHOOK_SECRET_REFRESH_SECONDS: '60' }).webhookSecretRefreshSeconds).toBe(60);
    expect(() => loadConfig({ WEBHOOK_SECRET_NAME: 'has space' })).toThrow(ConfigError);
    expect(() => loadConfig({ WEBHOOK_SECRET_REFRESH_SECONDS: '0' })).toThrow(/WEBHOOK_SECRET_REFRESH_SECONDS/);
    expect(secretRegion('acs:kms:cn-shanghai:123456789012:secret/x', 'cn-hangzhou')).toBe('cn-shanghai');
    expect(secretRegion('plain-name', 'cn-hangzhou')).toBe('cn-hangzhou');
  });

  it('the KMS endpoint is the regional one, kms-vpc with ECS_NETWORK=vpc', async () => {
    // Endpoints only: openapi-core's own rule, asserted so a change there is noticed.
    const { OpenApiUtil } = await import('@alicloud/openapi-core');
    expect(OpenApiUtil.getEndpointRules('kms', 'cn-hangzhou', 'regional', 'public', '')).toBe('kms.cn-hangzhou.aliyuncs.com');
    expect(OpenApiUtil.getEndpointRules('kms', 'cn-hangzhou', 'regional', 'vpc', '')).toBe('kms-vpc.cn-hangzhou.aliyuncs.com');
  });
});

