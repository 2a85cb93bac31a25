import {
  DefaultCredentialsProvider,
  RAMRoleARNCredentialsProvider,
  StaticSTSCredentialsProvider,
} from '@alicloud/credentials';
import type { Config } from './config.js';
import type { FcCredentials } from './fc.js';
import type { Logger } from './log.js';

// Where ECS credentials come from: the `@alicloud/credentials` default chain (or FC's
// context.credentials) as the source, optionally with AssumeRole on top. This module
// adds what the library lacks for a function: single-flight (one AssumeRole however many
// cold requests arrive together), a cache that outlives an STS outage while the session
// is still valid, and a clear, classified error.

export interface CredentialSnapshot {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
  providerName: string;
}

/** FC 3.0 `context.credentials`: the function role's STS keys, fresh each invocation. */

export class CredentialError extends Error {
  constructor(readonly code: string, message: string, readonly retryable: boolean) {
    super(message);
    this.name = 'CredentialError';
  }
}

interface Provider {
  getCredentials(): Promise<{ accessKeyId: string; accessKeySecret: string; securityToken: string; providerName: string }>;
  getProviderName(): string;
}

interface Cached {
  value: CredentialSnapshot;
  /** After this we refresh, but keep serving `value` if the refresh fails… */
  softExpiry: number;
  /** …until this, the latest moment the session can still be valid. */
  hardExpiry: number;
}

/** Source credentials: FC's context keys when present, else the library's default chain. */
class SourceProvider implements Provider {
  private fc?: Required<FcCredentials>;
  private chain?: Provider;

  setFc(creds: FcCredentials | undefined): boolean {
    if (!creds?.accessKeyId || !creds.accessKeySecret) return false;
    const changed = this.fc?.accessKeyId !== creds.accessKeyId || this.fc?.securityToken !== creds.securityToken;
    this.fc = { accessKeyId: creds.accessKeyId, accessKeySecret: creds.accessKeySecret, securityToken: creds.securityToken ?? '' };
    return changed;
  }

  async getCredentials() {
    if (this.fc) {
      const { accessKeyId, accessKeySecret, securityToken } = this.fc;
      if (securityToken) {
        return StaticSTSCredentialsProvider.builder()
          .withAccessKeyId(accessKeyId)
          .withAccessKeySecret(accessKeySecret)
          .withSecurityToken(securityToken)
          .build()
          .getCredentials();
      }
      return { accessKeyId, accessKeySecret, securityToken: '', providerName: 'fc_context' };
    }
    this.chain ??= DefaultCredentialsProvider.builder().build();
    return this.chain.getCredentials();
  }

  getProviderName(): string {
    return this.fc ? 'fc_context' : 'default';
  }
}

export class CredentialBroker {
  private readonly source = new SourceProvider();
  private readonly provider: Provider;
  private cached?: Cached;
  private inflight?: Promise<CredentialSnapshot>;

  constructor(private readonly config: Config, private readonly log: Logger, private readonly now: () => number = Date.now) {
    if (config.targetRoleArn) {
      let builder = RAMRoleARNCredentialsProvider.builder()
        .withCredentialsProvider(this.source)
        .withRoleArn(config.targetRoleArn)
        .withRoleSessionName(config.roleSessionName)
        .withDurationSeconds(config.roleDurationSeconds)
        .withReadTimeout(config.ecsTimeoutMs)
        .withConnectTimeout(Math.min(config.ecsTimeoutMs, 3000));
      if (config.roleExternalId) builder = builder.withExternalId(config.roleExternalId);
      if (config.stsEndpoint) {
        builder = builder.withStsEndpoint(config.stsEndpoint);
      } else if (config.stsRegion) {
        // The function's own region's STS (sts-vpc.* with ECS_NETWORK=vpc), not the global one.
        builder = builder.withStsRegionId(config.stsRegion).withEnableVpc(config.ecsNetwork === 'vpc');
      }
      this.provider = builder.build();
    } else {
      this.provider = this.source;
    }
  }

  /** Called per invocation with FC's context keys; a rotated source key drops the cache. */
  useFcCredentials(creds: FcCredentials | undefined): void {
    if (this.source.setFc(creds)) {
      this.log.addSecret(creds?.accessKeySecret);
      this.log.addSecret(creds?.securityToken);
      if (!this.config.targetRoleArn) this.cached = undefined;
    }
  }

  /** Current credentials; concurrent callers share one fetch. */
  async get(): Promise<CredentialSnapshot> {
    const t = this.now();
    const cached = this.cached;
    if (cached && t < cached.softExpiry) return cached.value;
    if (cached && t < cached.hardExpiry) {
      // Past half-life but still valid for over a minute: refresh behind the caller's back,
      // so neither a slow nor a failing STS holds a request up while the session is good.
      this.refreshInBackground();
      return cached.value;
    }
    return this.start();
  }

  /**
   * Credentials ready for a call that must be over by `deadline` (epoch ms): the fetch
   * (AssumeRole) draws from the same per-invocation budget as the ECS call after it. A
   * fetch is only started when one STS attempt can finish by then, and nobody waits for
   * one past it (an unfinished fetch still fills the cache for the next delivery).
   */
  async ensure(deadline: number | undefined): Promise<void> {
    const t = this.now();
    const cached = this.cached;
    if (cached && t < cached.softExpiry) return;
    if (cached && t < cached.hardExpiry) {
      this.refreshInBackground();
      return;
    }
    if (!this.inflight && deadline !== undefined && t + this.config.ecsTimeoutMs > deadline) {
      throw new CredentialError('DeadlineExceeded', 'credentials not fetched: too little time left before the function timeout for AssumeRole (raise the function timeout or lower ECS_TIMEOUT_MS)', true);
    }
    const fetching = this.start();
    if (deadline === undefined) {
      await fetching;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), Math.max(0, deadline - this.now()));
    });
    try {
      const outcome = await Promise.race([fetching, late]);
      if (outcome === 'late') {
        fetching.catch(() => undefined);
        throw new CredentialError('DeadlineExceeded', 'credentials still being fetched at the deadline (STS is slow; the session will be ready for the next delivery)', true);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  private refreshInBackground(): void {
    if (this.inflight) return;
    this.start().catch((err: unknown) => this.log.warn('credential refresh failed; using the cached session', { error: err }));
  }

  /** The one fetch in flight (single-flight), started if none is. */
  private start(): Promise<CredentialSnapshot> {
    this.inflight ??= this.fetch().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** The session held now, without fetching (for diagnostics and tests). */
  peek(): CredentialSnapshot | undefined {
    return this.cached?.value;
  }

  /** ECS said the token expired (clock skew, short session): forget it. */
  invalidate(): void {
    this.cached = undefined;
  }

  private async fetch(): Promise<CredentialSnapshot> {
    let raw: Awaited<ReturnType<Provider['getCredentials']>>;
    try {
      raw = await this.provider.getCredentials();
    } catch (err) {
      throw classify(err, Boolean(this.config.targetRoleArn));
    }
    const value: CredentialSnapshot = {
      accessKeyId: raw.accessKeyId,
      accessKeySecret: raw.accessKeySecret,
      securityToken: raw.securityToken || undefined,
      providerName: raw.providerName,
    };
    this.log.addSecret(value.accessKeySecret);
    this.log.addSecret(value.securityToken);
    const t = this.now();
    // Role sessions: refresh at half-life, trust until a minute before the end. Source keys
    // from the chain are re-read every 5 minutes (the library caches what needs caching).
    // When the library tells when its session really ends (it may hand back a session it
    // cached long ago), that end bounds both.
    const life = this.config.targetRoleArn ? this.config.roleDurationSeconds * 1000 : 10 * 60 * 1000;
    const ends = sessionEnd(this.provider);
    const hardExpiry = Math.min(t + life - 60_000, ends !== undefined ? ends - 60_000 : Infinity);
    const softExpiry = Math.max(t, Math.min(t + life / 2, ends !== undefined ? ends - 5 * 60_000 : Infinity));
    this.cached = { value, softExpiry, hardExpiry };
    return value;
  }

  /** The shape `@alicloud/openapi-core` expects in `Config.credential`. */
  forOpenApi(): { getCredential(): Promise<{ accessKeyId: string; accessKeySecret: string; securityToken?: string; type: string; providerName: string }> } {
    return {
      getCredential: async () => {
        const c = await this.get();
        return { ...c, type: c.securityToken ? 'sts' : 'access_key' };
      },
    };
  }
}

/** The end of the session the library's session-based providers hold (RAM role), if it says. */
function sessionEnd(provider: Provider): number | undefined {
  const session = (provider as { session?: { expiration?: unknown } }).session;
  const end = typeof session?.expiration === 'string' ? Date.parse(session.expiration) : Number.NaN;
  return Number.isFinite(end) ? end : undefined;
}

/** The library throws plain Errors whose text carries the STS answer; turn them into codes. */
export function classify(err: unknown, assumingRole: boolean): CredentialError {
  const message = err instanceof Error ? err.message : String(err);
  const stsCode = /"Code"\s*:\s*"([^"]+)"/.exec(message)?.[1];
  const what = assumingRole ? 'AssumeRole' : 'credential chain';
  if (stsCode) {
    const retryable = /^(Throttling|InternalError|ServiceUnavailable)/i.test(stsCode);
    return new CredentialError(`STS.${stsCode}`, `${what} failed: ${stsCode}`, retryable);
  }
  if (/the access key secret is invalid/i.test(message)) {
    return new CredentialError('STS.SignatureDoesNotMatch', `${what} failed: the source access key secret is invalid`, false);
  }
  // The library's own text is not passed on: it can quote STS's answer, keys included (a
  // truncated 200 gives `unmarshal fail: {"AccessKeySecret":…`). Only what we recognise is said.
  const network = /timeout|timed out|ECONNRESET|ECONNREFUSED|EPIPE|socket hang up|ENOTFOUND|EAI_AGAIN/i.exec(message)?.[0];
  if (network || /refresh session token failed/i.test(message)) {
    return new CredentialError('STS.Unavailable', `${what} failed: STS did not answer usefully (${network ?? 'no session'})`, true);
  }
  if (/unmarshal|JSON|Unexpected (token|end)/i.test(message)) {
    return new CredentialError('STS.BadResponse', `${what} failed: STS answered with a body that could not be read`, true);
  }
  if (/unable to get credentials|could not find|not found|is empty|must be/i.test(message)) {
    return new CredentialError('NoCredentials', `${what} failed: no source credentials were found (environment, FC context or the credentials chain)`, false);
  }
  return new CredentialError('CredentialError', `${what} failed (${err instanceof Error ? err.name : typeof err})`, true);
}
