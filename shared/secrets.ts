import type { AuthConfig } from './auth/index.js';
import { webhookCredentials, webhookSecretValues, WEBHOOK_CREDENTIAL_VARIABLES, type Config } from './config.js';
import { toEcsError } from './ecs/errors.js';
import { RpcClient } from './ecs/rpc.js';
import { RequestError } from './errors.js';
import type { Logger } from './log.js';

// Webhook credentials from KMS Secrets Manager (WEBHOOK_SECRET_NAME), so they never sit in
// the function's environment, where `s deploy` prints them and `fc:GetFunction` shows them.
//
// The secret's value is a JSON object with any of the three credential variables, each in
// the same syntax as in the environment:
//   {"WEBHOOK_TOKENS": "tok1,tok2", "WEBHOOK_SECRETS": "whsec_…", "WEBHOOK_BASIC_AUTH": "am:pw"}
// It is read with GetSecretValue (KMS 2016-01-20, RPC, the current version, signed by
// @alicloud/openapi-core as the ECS calls are) using the function role's keys, at
// initialize and again once it is older than WEBHOOK_SECRET_REFRESH_SECONDS. A failed
// refresh keeps the value already held; with none held, HTTP requests get 503 (retryable)
// or 424 (KMS refused: permission, no such secret, bad value). The environment's
// credentials stay accepted alongside the secret's.
// https://www.alibabacloud.com/help/en/kms/key-management-service/developer-reference/api-getsecretvalue

const KMS_API_VERSION = '2016-01-20';

/** The shape `@alicloud/openapi-core` calls for keys (CredentialBroker.forOpenApi()). */
export type OpenApiCredential = ReturnType<import('./credentials.js').CredentialBroker['forOpenApi']>;

export interface SecretValue {
  data: string;
  versionId?: string;
}

/** The value is not what the function can use: a configuration error, not a KMS one. */
export class SecretValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretValueError';
  }
}

/** GetSecretValue against one region's KMS endpoint (kms[-vpc].<region>.aliyuncs.com or KMS_ENDPOINT). */
export class KmsSecrets {
  private readonly rpc: RpcClient;

  constructor(config: Pick<Config, 'kmsEndpoint' | 'ecsNetwork' | 'ecsTimeoutMs'>, credential: OpenApiCredential) {
    this.rpc = new RpcClient({
      product: 'kms',
      version: KMS_API_VERSION,
      endpoint: config.kmsEndpoint,
      network: config.ecsNetwork,
      timeoutMs: config.ecsTimeoutMs,
      credential: () => credential,
    });
  }

  async getSecretValue(secretName: string, regionId: string): Promise<SecretValue> {
    let answer: { body?: { SecretData?: unknown; SecretDataType?: unknown; VersionId?: unknown } };
    try {
      answer = await this.rpc.call(regionId, 'GetSecretValue', { SecretName: secretName });
    } catch (err) {
      throw toEcsError(err);
    }
    const body = answer.body ?? {};
    if (typeof body.SecretData !== 'string') throw new SecretValueError('KMS returned no SecretData');
    // Binary secrets come back base64-encoded; text secrets as they were stored.
    const data = body.SecretDataType === 'binary' ? Buffer.from(body.SecretData, 'base64').toString('utf8') : body.SecretData;
    return { data, versionId: typeof body.VersionId === 'string' ? body.VersionId : undefined };
  }
}

/** The secret's JSON → the three credential lists; errors name the key, never a value. */
export function parseSecretValue(text: string): ReturnType<typeof webhookCredentials> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SecretValueError(`the secret value is not JSON; expected an object with ${WEBHOOK_CREDENTIAL_VARIABLES.join(', ')}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new SecretValueError('the secret value must be a JSON object');
  const values: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!(WEBHOOK_CREDENTIAL_VARIABLES as readonly string[]).includes(key)) {
      // A misspelt variable name is worth showing; anything else might be a credential pasted as a key.
      const shown = /^[A-Z][A-Z_]{0,39}$/.test(key) ? `'${key}'` : `(entry ${Object.keys(value).indexOf(key) + 1}, not shown)`;
      throw new SecretValueError(`the secret value has an unknown key ${shown}; allowed: ${WEBHOOK_CREDENTIAL_VARIABLES.join(', ')}`);
    }
    if (typeof v !== 'string') throw new SecretValueError(`${key} in the secret value must be a string (a comma list, as in the environment)`);
    if (v.trim() !== '') values[key] = v.trim();
  }
  return webhookCredentials(values, (name) => new SecretValueError(`${name} in the secret value is malformed (same syntax as the environment variable)`));
}

/** The region a secret lives in: its ARN's, else the function's own. */
export function secretRegion(secretName: string, functionRegion: string): string {
  return /^acs:kms:([a-z0-9-]+):/.exec(secretName)?.[1] ?? functionRegion;
}

export interface WebhookSecretOptions {
  name: string;
  region: string;
  refreshMs: number;
  /** The environment's credentials (and ALLOW_UNAUTHENTICATED); the secret's are added to them. */
  base: AuthConfig;
  fetch: (name: string, region: string) => Promise<SecretValue>;
  log: Logger;
  now?: () => number;
}

/** Back-off after a failed refresh while an older value is still served. */
const RETRY_AFTER_FAILURE_MS = 30_000;

/** The current AuthConfig with the secret's credentials: cached, refreshed, single-flight. */
export class WebhookSecret {
  private cached?: { auth: AuthConfig; fetchedAt: number; versionId?: string };
  private inflight?: Promise<AuthConfig>;
  private retryAt = 0;
  private readonly now: () => number;

  constructor(private readonly options: WebhookSecretOptions) {
    this.now = options.now ?? Date.now;
  }

  /** At initialize: read it now; a failure is logged and retried by the first HTTP request. */
  async load(): Promise<void> {
    try {
      await this.current();
    } catch (err) {
      this.options.log.warn('webhook secret not loaded', { kms: this.options.name, error: err instanceof Error ? err.message : String(err) });
    }
  }

  /**
   * The credentials to check a request with. A value already held is answered at once, and
   * a due refresh runs behind it (a slow KMS never holds up a stop); with none held, the
   * read waits at most until `deadline`.
   */
  async current(deadline?: number): Promise<AuthConfig> {
    const cached = this.cached;
    const t = this.now();
    if (cached && (t < cached.fetchedAt + this.options.refreshMs || t < this.retryAt)) return cached.auth;
    if (!this.inflight) {
      this.inflight = this.refresh().finally(() => {
        this.inflight = undefined;
      });
      // A refresh behind a held value: its failure is logged once, here, and backs off.
      if (cached) {
        this.inflight.catch((err: unknown) => {
          this.retryAt = this.now() + Math.min(this.options.refreshMs, RETRY_AFTER_FAILURE_MS);
          this.options.log.warn('webhook secret refresh failed; using the value read before', { kms: this.options.name, version: cached.versionId, error: err instanceof Error ? err.message : String(err) });
        });
      }
    }
    const reading = this.inflight;
    if (cached) return cached.auth;
    try {
      return await withinDeadline(reading, deadline);
    } catch (err) {
      // Said in full in the log only: the caller is not authenticated yet.
      this.options.log.error('webhook secret unavailable', { kms: this.options.name, error: err instanceof Error ? err.message : String(err) });
      throw refusal(err);
    }
  }

  private async refresh(): Promise<AuthConfig> {
    const { name, region, base, log } = this.options;
    const value = await this.options.fetch(name, secretRegion(name, region));
    const credentials = parseSecretValue(value.data);
    for (const secret of webhookSecretValues(credentials)) log.addSecret(secret);
    const auth: AuthConfig = {
      ...base,
      webhookTokens: [...base.webhookTokens, ...credentials.webhookTokens],
      webhookSecrets: [...base.webhookSecrets, ...credentials.webhookSecrets],
      basicAuth: [...base.basicAuth, ...credentials.basicAuth],
    };
    const changed = this.cached?.versionId !== value.versionId;
    this.cached = { auth, fetchedAt: this.now(), versionId: value.versionId };
    this.retryAt = 0;
    if (changed) log.info('webhook secret loaded', { kms: name, version: value.versionId });
    return auth;
  }
}

class KmsDeadline extends Error {
  constructor() {
    super('KMS did not answer before the request deadline');
    this.name = 'KmsDeadline';
  }
}

/** The read, or a retryable failure when the request's deadline comes first. */
function withinDeadline<T>(reading: Promise<T>, deadline: number | undefined): Promise<T> {
  if (deadline === undefined) return reading;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new KmsDeadline()), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([reading, late]).finally(() => clearTimeout(timer));
}

/**
 * No secret value held: the request cannot be authenticated. The caller is anonymous, so
 * the answer names a code and nothing configured; the reason is in the log line above.
 */
function refusal(err: unknown): RequestError {
  if (err instanceof SecretValueError) {
    return new RequestError(424, 'WebhookSecret.Invalid', 'the webhook credentials cannot be used; see the function log for this request id');
  }
  if (err instanceof KmsDeadline) {
    return new RequestError(503, 'KMS.Timeout', 'the webhook credentials could not be read in time; retry', [], { 'retry-after': '5' });
  }
  const e = toEcsError(err);
  const message = `the webhook credentials could not be read (${e.code}); see the function log for this request id`;
  if (e.retryable) return new RequestError(503, `KMS.${e.code}`.replace(/^KMS\.KMS\./, 'KMS.'), message, [], { 'retry-after': '5' });
  return new RequestError(424, `KMS.${e.code}`.replace(/^KMS\.KMS\./, 'KMS.'), message);
}
