import { parseBasicAuthList, type AuthConfig } from './auth/index.js';
import { badStandardWebhooksSecrets } from './auth/standard-webhooks.js';
import { ConfigError } from './errors.js';
import type { LogLevel } from './log.js';
import { validatorFor } from './schemas/validate.js';
import { REGION_RE } from './schemas/stop-request.js';
import { MAX_ERRORS_PATTERN, parseMaxErrors, type MaxErrors } from './schemas/max-errors.js';
import { BUDGET_PATTERN, parseBudget, type BudgetSpec } from './schemas/budget.js';

// Every variable the function reads (README "Configuration"), checked with ajv at start-up so a
// typo stops the deploy's first invocation with a message naming the variable, instead
// of surfacing later as a confusing ECS error.


export interface Config {
  targetRoleArn?: string;
  roleSessionName: string;
  roleExternalId?: string;
  roleDurationSeconds: number;
  ecsEndpoint?: { host: string; protocol: 'http' | 'https' };
  ecsNetwork: 'public' | 'vpc';
  stsEndpoint?: string;
  /** Region whose STS endpoint AssumeRole uses when STS_ENDPOINT is unset (FC sets FC_REGION). */
  stsRegion?: string;
  allowedRegions?: string[];
  /** From the environment; with webhookSecretName, merged with the secret's (shared/secrets.ts). */
  auth: AuthConfig;
  /** WEBHOOK_SECRET_NAME: KMS Secrets Manager secret (name or ARN) holding webhook credentials. */
  webhookSecretName?: string;
  /** How long a fetched secret value is used before it is read again. */
  webhookSecretRefreshSeconds: number;
  kmsEndpoint?: { host: string; protocol: 'http' | 'https' };
  maxInstances: number;
  /** Largest HTTP or event body accepted, after Content-Encoding is undone. */
  maxBodyBytes: number;
  ecsConcurrency: number;
  ecsTimeoutMs: number;
  ecsMaxAttempts: number;
  verify: boolean;
  verifyGraceMs: number;
  dedupeTtlSeconds: number;
  dedupeMaxEntries: number;
  /** Bytes the in-memory dedupe records may hold (results are kept serialised, so this is exact). */
  dedupeMaxBytes: number;
  /** Shared store for idempotency and the budget (REDIS_URL); unset = this instance's memory. */
  redis?: RedisTarget;
  /** Timeout of one shared-store call (connect or command); past it the request goes ahead without the store. */
  storeTimeoutMs: number;
  /** Blast-radius budget (STOP_BUDGET); unset = no limit. */
  stopBudget?: BudgetSpec;
  resultEventBus?: string;
  eventBridgeEndpoint?: { host: string; protocol: 'http' | 'https' };
  logLevel: LogLevel;
  /** Fixed timing (TUNING unless a test overrides it). */
  tuning: Tuning;
  guard: GuardConfig;
  /** Values that must never reach a log line (secrets from the environment). */
  secrets: string[];
}

/**
 * 4 MiB: eight times a realistic 1,000-alert Alertmanager group (~500 kB), and what a
 * 128 MB instance parses with room to spare (README "Limits" has the measurement).
 */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * Timing the function does not take from the environment: fixed in production, shortened
 * by tests through InstanceOptions.tuning so retries run in a fraction of the time.
 */
export interface Tuning {
  /** Full-jitter backoff between ECS attempts: the first delay's cap, doubling up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Kept back from FC's function timeout: every outbound call must be over by then. */
  deadlineMarginMs: number;
  /** Of that margin, what publishing the result may still use (the answer is out by deadline + this). */
  publishGraceMs: number;
  /** Verification stops polling this long before the deadline, to leave time for the answer. */
  verifyMarginMs: number;
  /** FC's function timeout when the context does not say (FC always does). */
  defaultTimeoutSeconds: number;
}

export const TUNING: Readonly<Tuning> = {
  retryBaseMs: 100,
  retryMaxMs: 2000,
  deadlineMarginMs: 1000,
  publishGraceMs: 500,
  verifyMarginMs: 250,
  defaultTimeoutSeconds: 60,
};

/** The rollout guard's thresholds (README "Rollout guard"). */
export interface GuardConfig {
  /** ROLLOUT_MAX_ERRORS: a threshold; 'off' = none by default, tags and overrides still apply; undefined = unset. */
  default?: MaxErrors | 'off';
  /** ROLLOUT_MAX_ERRORS_BY_COMMAND: command id or name → threshold or 'off'. */
  byCommand: ReadonlyMap<string, MaxErrors | 'off'>;
}

const BOOL = '^(true|false|1|0|yes|no)$';
const INT = (min: number, max: number) => ({ pattern: '^[0-9]{1,9}$', min, max });

interface VarSpec {
  pattern?: string;
  min?: number;
  max?: number;
  /** What a good value looks like, for the error message. */
  hint: string;
  secret?: boolean;
}

const VARS: Record<string, VarSpec> = {
  TARGET_ROLE_ARN: { pattern: '^acs:ram::[0-9]+:role/[A-Za-z0-9._@/-]+$', hint: 'a RAM role ARN such as acs:ram::123456789012:role/stop-invocation' },
  ROLE_SESSION_NAME: { pattern: '^[A-Za-z0-9.@_-]{2,64}$', hint: '2-64 characters of letters, digits, . @ _ -' },
  ROLE_EXTERNAL_ID: { pattern: '^[A-Za-z0-9=,.@:/_-]{2,1224}$', hint: 'the external id set on the role trust policy', secret: true },
  ROLE_DURATION_SECONDS: { ...INT(900, 43200), hint: 'an integer from 900 to 43200' },
  ECS_ENDPOINT: { pattern: '^(https?://)?[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$', hint: 'host[:port] or http(s)://host[:port]' },
  ECS_NETWORK: { pattern: '^(public|vpc)$', hint: 'public or vpc' },
  STS_ENDPOINT: { pattern: '^[A-Za-z0-9.-]+(:[0-9]{1,5})?$', hint: 'host[:port] (the credentials library always uses https)' },
  ALLOWED_REGIONS: { pattern: '^[a-z0-9-]+(,[a-z0-9-]+)*$', hint: 'a comma list of region ids, e.g. cn-hangzhou,cn-shanghai' },
  WEBHOOK_SECRETS: { pattern: '^[^,]+(,[^,]+)*$', hint: 'a comma list of secrets (Standard Webhooks whsec_<base64>, Grafana as typed)', secret: true },
  WEBHOOK_TOKENS: { pattern: '^[^,\\s]{8,}(,[^,\\s]{8,})*$', hint: 'a comma list of tokens, each at least 8 characters (use 32+ random ones)', secret: true },
  WEBHOOK_BASIC_AUTH: { pattern: '^[^,:]+:[^,]+(,[^,:]+:[^,]+)*$', hint: 'a comma list of user:password', secret: true },
  WEBHOOK_SECRET_NAME: { pattern: '^(acs:kms:[a-z0-9-]+:[0-9]+:secret/)?[A-Za-z0-9_/+=.@-]{1,192}$', hint: 'a KMS secret name or acs:kms:<region>:<account>:secret/<name>' },
  WEBHOOK_SECRET_REFRESH_SECONDS: { ...INT(1, 86400), hint: 'an integer from 1 to 86400' },
  KMS_ENDPOINT: { pattern: '^(https?://)?[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$', hint: 'host[:port] or http(s)://host[:port]' },
  ALLOW_UNAUTHENTICATED: { pattern: BOOL, hint: 'true or false' },
  MAX_INSTANCES: { ...INT(1, 10000), hint: 'an integer from 1 to 10000' },
  MAX_BODY_BYTES: { ...INT(1024, 32 * 1024 * 1024), hint: 'an integer from 1024 to 33554432 (FC accepts at most 32 MB for a synchronous HTTP request)' },
  ECS_CONCURRENCY: { ...INT(1, 50), hint: 'an integer from 1 to 50' },
  ECS_TIMEOUT_MS: { ...INT(100, 60000), hint: 'an integer from 100 to 60000' },
  ECS_MAX_ATTEMPTS: { ...INT(1, 10), hint: 'an integer from 1 to 10' },
  VERIFY: { pattern: BOOL, hint: 'true or false' },
  VERIFY_GRACE_MS: { ...INT(0, 60000), hint: 'an integer from 0 to 60000' },
  DEDUPE_TTL_SECONDS: { ...INT(0, 86400), hint: 'an integer from 0 to 86400 (0 disables dedupe)' },
  DEDUPE_MAX_ENTRIES: { ...INT(1, 100000), hint: 'an integer from 1 to 100000' },
  DEDUPE_MAX_BYTES: { ...INT(65536, 536870912), hint: 'an integer from 65536 to 536870912 (bytes)' },
  REDIS_URL: { pattern: '^rediss?://[^\\s]+$', hint: 'redis://[user:password@]host[:port][/db] or rediss://… (TLS)', secret: true },
  STORE_TIMEOUT_MS: { ...INT(10, 10000), hint: 'an integer from 10 to 10000' },
  STOP_BUDGET: { pattern: BUDGET_PATTERN, hint: 'instance-stops per window, e.g. 500/10m (window in s, m or h; 1 s to 7 days)' },
  RESULT_EVENT_BUS: { pattern: '^[A-Za-z0-9_-]{1,127}$', hint: 'an EventBridge event bus name' },
  EVENTBRIDGE_ENDPOINT: { pattern: '^(https?://)?[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$', hint: 'host[:port] or http(s)://host[:port]' },
  LOG_LEVEL: { pattern: '^(debug|info|warn|error)$', hint: 'debug, info, warn or error' },
  ROLLOUT_MAX_ERRORS: { pattern: `^off$|${MAX_ERRORS_PATTERN}`, hint: 'a number of failed instances (0-100000), a percentage such as 10%, or off' },
  ROLLOUT_MAX_ERRORS_BY_COMMAND: { hint: 'a comma list of <command name or id>=<N, N% or off>, e.g. deploy.sh=2,c-hz0abc=10%,patch.sh=off' },
};

export const envSchema = {
  $id: 'config-env',
  type: 'object',
  properties: Object.fromEntries(
    Object.entries(VARS).map(([name, spec]) => [name, spec.pattern ? { type: 'string', pattern: spec.pattern } : { type: 'string' }]),
  ),
};

const validateEnv = validatorFor<Record<string, string>>(envSchema);

/** Read and check the environment. Throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, string> = {};
  for (const name of Object.keys(VARS)) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') raw[name] = value.trim();
  }
  if (!validateEnv(raw)) {
    const first = validateEnv.errors?.[0];
    const name = first?.instancePath.slice(1) ?? 'environment';
    throw new ConfigError(name, describe(name, raw[name]));
  }
  for (const [name, spec] of Object.entries(VARS)) {
    if (raw[name] === undefined || spec.min === undefined) continue;
    const n = Number(raw[name]);
    if (n < spec.min || n > (spec.max ?? Infinity)) throw new ConfigError(name, describe(name, raw[name]));
  }

  const int = (name: string, fallback: number) => (raw[name] === undefined ? fallback : Number(raw[name]));
  const bool = (name: string, fallback: boolean) => (raw[name] === undefined ? fallback : /^(true|1|yes)$/.test(raw[name]));
  const list = (name: string) => (raw[name] === undefined ? [] : raw[name].split(',').map((s) => s.trim()).filter(Boolean));

  const allowedRegions = raw.ALLOWED_REGIONS === undefined ? undefined : list('ALLOWED_REGIONS');
  for (const region of allowedRegions ?? []) {
    if (!REGION_RE.test(region)) throw new ConfigError('ALLOWED_REGIONS', `'${region}' is not a region id`);
  }

  const webhook = webhookCredentials(raw, (name, reason) => new ConfigError(name, reason ?? describe(name, raw[name])));
  const auth: AuthConfig = { ...webhook, allowUnauthenticated: bool('ALLOW_UNAUTHENTICATED', false) };

  const redis = raw.REDIS_URL === undefined ? undefined : parseRedisUrl(raw.REDIS_URL);
  const stopBudget = raw.STOP_BUDGET === undefined ? undefined : parseBudget(raw.STOP_BUDGET);
  if (raw.STOP_BUDGET !== undefined && !stopBudget) throw new ConfigError('STOP_BUDGET', describe('STOP_BUDGET', raw.STOP_BUDGET));

  const secrets = [
    redis?.password,
    ...webhookSecretValues(webhook),
    env.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
    env.ALIBABA_CLOUD_SECURITY_TOKEN,
    raw.ROLE_EXTERNAL_ID,
  ].filter((s): s is string => typeof s === 'string' && s.length >= 6);

  return {
    targetRoleArn: raw.TARGET_ROLE_ARN,
    roleSessionName: raw.ROLE_SESSION_NAME ?? 'fc-stop-invocation',
    roleExternalId: raw.ROLE_EXTERNAL_ID,
    roleDurationSeconds: int('ROLE_DURATION_SECONDS', 3600),
    ecsEndpoint: parseEndpoint(raw.ECS_ENDPOINT, 'https'),
    ecsNetwork: raw.ECS_NETWORK === 'vpc' ? 'vpc' : 'public',
    stsEndpoint: raw.STS_ENDPOINT,
    stsRegion: [env.ALIBABA_CLOUD_STS_REGION, env.FC_REGION, env.ALIBABA_CLOUD_REGION].find((r) => r && REGION_RE.test(r)),
    allowedRegions,
    auth,
    webhookSecretName: raw.WEBHOOK_SECRET_NAME,
    webhookSecretRefreshSeconds: int('WEBHOOK_SECRET_REFRESH_SECONDS', 300),
    kmsEndpoint: parseEndpoint(raw.KMS_ENDPOINT, 'https'),
    maxInstances: int('MAX_INSTANCES', 1000),
    maxBodyBytes: int('MAX_BODY_BYTES', DEFAULT_MAX_BODY_BYTES),
    // 20 in flight: MAX_INSTANCES (1000) ids are 20 chunks, one wave; far below ECS's 1000 calls/min.
    ecsConcurrency: int('ECS_CONCURRENCY', 20),
    ecsTimeoutMs: int('ECS_TIMEOUT_MS', 5000),
    ecsMaxAttempts: int('ECS_MAX_ATTEMPTS', 3),
    verify: bool('VERIFY', true),
    verifyGraceMs: int('VERIFY_GRACE_MS', 2000),
    dedupeTtlSeconds: int('DEDUPE_TTL_SECONDS', 600),
    dedupeMaxEntries: int('DEDUPE_MAX_ENTRIES', 1000),
    // 8 MiB: a 128 MB instance idles at ~60 MB and peaks near 100 MB under load.
    dedupeMaxBytes: int('DEDUPE_MAX_BYTES', 8 * 1024 * 1024),
    redis,
    storeTimeoutMs: int('STORE_TIMEOUT_MS', 500),
    stopBudget,
    resultEventBus: raw.RESULT_EVENT_BUS,
    eventBridgeEndpoint: parseEndpoint(raw.EVENTBRIDGE_ENDPOINT, 'https'),
    logLevel: (raw.LOG_LEVEL as LogLevel | undefined) ?? 'info',
    tuning: { ...TUNING },
    guard: {
      default: raw.ROLLOUT_MAX_ERRORS === undefined ? undefined : raw.ROLLOUT_MAX_ERRORS === 'off' ? 'off' : parseMaxErrors(raw.ROLLOUT_MAX_ERRORS),
      byCommand: parseByCommand(raw.ROLLOUT_MAX_ERRORS_BY_COMMAND),
    },
    secrets,
  };
}

/** The three webhook credential variables, by name, as in the environment or a KMS secret's JSON. */
export const WEBHOOK_CREDENTIAL_VARIABLES = ['WEBHOOK_TOKENS', 'WEBHOOK_SECRETS', 'WEBHOOK_BASIC_AUTH'] as const;
export type WebhookCredentials = Pick<AuthConfig, 'webhookTokens' | 'webhookSecrets' | 'basicAuth'>;

/**
 * Parse the three credential lists from trimmed, non-blank values (env or secret value).
 * The patterns are checked here with RegExp (not the precompiled env validator) so a KMS
 * secret's value gets exactly the environment's syntax; `refuse` names the bad key.
 */
export function webhookCredentials(values: Partial<Record<string, string>>, refuse: (name: string, reason?: string) => Error): WebhookCredentials {
  for (const name of WEBHOOK_CREDENTIAL_VARIABLES) {
    const value = values[name];
    if (value !== undefined && !new RegExp(VARS[name].pattern ?? '').test(value)) throw refuse(name);
  }
  const list = (name: string) => (values[name] === undefined ? [] : values[name].split(',').map((s) => s.trim()).filter(Boolean));
  let basicAuth: AuthConfig['basicAuth'] = [];
  try {
    basicAuth = values.WEBHOOK_BASIC_AUTH === undefined ? [] : parseBasicAuthList(values.WEBHOOK_BASIC_AUTH);
  } catch {
    throw refuse('WEBHOOK_BASIC_AUTH');
  }
  // Read as the standardwebhooks library reads them (issue #12): a whsec_ entry must hold base64.
  const bad = badStandardWebhooksSecrets(list('WEBHOOK_SECRETS'));
  if (bad.length > 0) {
    throw refuse('WEBHOOK_SECRETS', `entry ${bad.join(', ')} starts with whsec_ but the rest is not a base64 key (whsec_ followed by standard base64, as the standardwebhooks library reads it)`);
  }
  return { webhookSecrets: list('WEBHOOK_SECRETS'), webhookTokens: list('WEBHOOK_TOKENS'), basicAuth };
}

/** What the logger must scrub from a set of webhook credentials. */
export function webhookSecretValues(c: WebhookCredentials): string[] {
  return [...c.webhookSecrets, ...c.webhookTokens, ...c.basicAuth.map((b) => b.password)];
}

function describe(name: string, value: string | undefined): string {
  const spec = VARS[name];
  const shown = spec?.secret || value === undefined ? '' : ` (got '${value.slice(0, 80)}')`;
  return `must be ${spec?.hint ?? 'valid'}${shown}`;
}

/** `deploy.sh=2,c-hz0abc=10%,patch.sh=off` → a map; a bad entry names itself and the variable. */
function parseByCommand(value: string | undefined): Map<string, MaxErrors | 'off'> {
  const out = new Map<string, MaxErrors | 'off'>();
  if (value === undefined) return out;
  const fail = (why: string) => new ConfigError('ROLLOUT_MAX_ERRORS_BY_COMMAND', `${why}; must be ${VARS.ROLLOUT_MAX_ERRORS_BY_COMMAND.hint}`);
  for (const entry of value.split(',')) {
    const at = entry.lastIndexOf('=');
    const key = entry.slice(0, at).trim();
    const threshold = entry.slice(at + 1).trim();
    if (at < 0 || key === '') throw fail(`entry '${entry.trim().slice(0, 80)}' is not <command>=<threshold>`);
    if (key.length > 128) throw fail(`command '${key.slice(0, 40)}…' is longer than 128 characters`);
    const parsed = threshold === 'off' ? 'off' : parseMaxErrors(threshold);
    if (!parsed) throw fail(`'${threshold.slice(0, 40)}' for '${key.slice(0, 80)}' is not a threshold`);
    if (out.has(key)) throw fail(`'${key.slice(0, 80)}' appears twice`);
    out.set(key, parsed);
  }
  return out;
}

/** Where the shared store is (REDIS_URL). */
export interface RedisTarget {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls: boolean;
}

/** redis:// or rediss:// (TLS), with user:password (ACL, Redis 6+ / Tair) or :password, and /db. */
function parseRedisUrl(value: string): RedisTarget {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('REDIS_URL', describe('REDIS_URL', value));
  }
  const db = url.pathname.replace(/^\//, '');
  if (!url.hostname || (db !== '' && !/^[0-9]{1,3}$/.test(db)) || url.search || url.hash) {
    throw new ConfigError('REDIS_URL', describe('REDIS_URL', value));
  }
  const tls = url.protocol === 'rediss:';
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : 6379,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: db === '' ? undefined : Number(db),
    tls,
  };
}

function parseEndpoint(value: string | undefined, fallback: 'http' | 'https'): Config['ecsEndpoint'] {
  if (value === undefined) return undefined;
  const m = /^(https?):\/\/(.+?)\/?$/.exec(value);
  if (m) return { protocol: m[1] as 'http' | 'https', host: m[2] };
  return { protocol: fallback, host: value.replace(/\/$/, '') };
}

/** Names of the variables, for the README's table test. */
export const CONFIG_VARIABLES = Object.keys(VARS);
