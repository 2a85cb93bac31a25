import { randomUUID } from 'node:crypto';
import { loadConfig, type Config, type Tuning } from './config.js';
import { CredentialBroker } from './credentials.js';
import { Dedupe } from './dedupe.js';
import { EcsClient } from './ecs/client.js';
import type { Verdict } from './events/result.js';
import type { Sink } from './events/sink.js';
import type { FcContext } from './fc.js';
import { Logger, type LineWriter } from './log.js';
import { runPipeline, type PipelineResult } from './pipeline.js';
import { KmsSecrets, WebhookSecret } from './secrets.js';
import { StopBudget } from './store/budget.js';
import { Stores } from './store/open.js';

// Everything that lives as long as the FC instance: config, logger, credentials cache,
// ECS clients, dedupe cache. Built once (in `initialize` when FC calls it) and reused by
// every request the instance serves.


export interface InstanceOptions {
  env?: NodeJS.ProcessEnv;
  /** Where log lines go (default stdout, which FC ships to SLS). */
  write?: LineWriter;
  /** Timing overrides (config.ts TUNING); tests shorten the retry backoff with it. */
  tuning?: Partial<Tuning>;
}

export class FunctionInstance {
  readonly config: Config;
  readonly log: Logger;
  readonly credentials: CredentialBroker;
  readonly ecs: EcsClient;
  readonly stores: Stores;
  private readonly dedupe: Dedupe;
  private readonly budget?: StopBudget;
  /**
   * Built on the first request, when FC has told us the region and account; loaded only
   * when RESULT_EVENT_BUS is set, so the EventBridge SDK costs nothing at cold start otherwise.
   */
  sink?: Promise<Sink>;
  /** WEBHOOK_SECRET_NAME: read with the function role's own keys (never the target role's). */
  private readonly kms?: { credentials: CredentialBroker; client: KmsSecrets };
  private webhookSecret?: WebhookSecret;

  constructor(options: InstanceOptions = {}) {
    const config = loadConfig(options.env ?? process.env);
    this.config = { ...config, tuning: { ...config.tuning, ...options.tuning } };
    this.log = new Logger(this.config.logLevel, this.config.secrets, {}, options.write);
    this.credentials = new CredentialBroker(this.config, this.log);
    this.ecs = new EcsClient(this.config, this.credentials);
    this.stores = new Stores(
      { redis: this.config.redis, timeoutMs: this.config.storeTimeoutMs, memory: { maxEntries: this.config.dedupeMaxEntries, maxBytes: this.config.dedupeMaxBytes } },
      this.log,
      'fc-stop-invocation:',
    );
    this.dedupe = new Dedupe(this.stores, this.config.dedupeTtlSeconds * 1000, this.log);
    if (this.config.stopBudget) this.budget = new StopBudget(this.config.stopBudget, this.stores);
    if (this.config.webhookSecretName) {
      const credentials = new CredentialBroker({ ...this.config, targetRoleArn: undefined }, this.log);
      this.kms = { credentials, client: new KmsSecrets(this.config, credentials.forOpenApi()) };
    }
  }

  /** The KMS-backed credentials, built once FC has said which region the function is in. */
  private secret(context: FcContext): WebhookSecret | undefined {
    const { kms, config } = this;
    if (!kms || !config.webhookSecretName) return undefined;
    kms.credentials.useFcCredentials(context.credentials);
    this.webhookSecret ??= new WebhookSecret({
      name: config.webhookSecretName,
      region: regionOf(context),
      refreshMs: config.webhookSecretRefreshSeconds * 1000,
      base: config.auth,
      fetch: (name, region) => kms.client.getSecretValue(name, region),
      log: this.log,
    });
    return this.webhookSecret;
  }

  /** FC initializer: take the context keys and assume the role now, not on the first alert. */
  async warm(context: FcContext = {}): Promise<void> {
    this.credentials.useFcCredentials(context.credentials);
    const secret = this.secret(context)?.load();
    // The shared store's client loads and connects meanwhile (only when REDIS_URL is set).
    const store = this.stores.warm();
    try {
      await this.credentials.get();
      this.log.info('initialized', { role: Boolean(this.config.targetRoleArn) });
    } catch (err) {
      // A failure here must not kill the instance: each request retries and reports it.
      this.log.warn('credential warm-up failed', { error: err });
    }
    await secret;
    await store;
  }

  handle(event: Buffer | string | object, context: FcContext = {}): Promise<PipelineResult> {
    this.credentials.useFcCredentials(context.credentials);
    const timeoutMs = (context.function?.timeout ?? this.config.tuning.defaultTimeoutSeconds) * 1000;
    const region = regionOf(context);
    const secret = this.secret(context);
    const accountId = context.accountId ?? process.env.FC_ACCOUNT_ID ?? 'local';
    if (this.config.resultEventBus) {
      this.sink ??= import('./events/sink.js').then((m) => m.eventBridgeSink(this.config, this.credentials, this.log, region, accountId));
    }
    return runPipeline(
      event,
      {
        requestId: context.requestId ?? cryptoId(),
        region,
        accountId,
        functionName: context.function?.name ?? process.env.FC_FUNCTION_NAME ?? 'stop-invocation',
        deadline: Date.now() + timeoutMs - this.config.tuning.deadlineMarginMs,
      },
      { config: this.config, log: this.log, ecs: this.ecs, dedupe: this.dedupe, budget: this.budget, emit: this.publish(), auth: secret && ((deadline: number) => secret.current(deadline)) },
    );
  }

  /** Drop the shared store's connection (tests, local runs; FC simply freezes the instance). */
  async close(): Promise<void> {
    await this.stores.close();
  }

  /** Where results go besides the response and the log line: the EventBridge sink, when configured. */
  private publish(): ((verdict: Verdict) => Promise<void>) | undefined {
    const sink = this.sink;
    return sink ? async (verdict) => (await sink)(verdict) : undefined;
  }
}

function regionOf(context: FcContext): string {
  return context.region ?? process.env.FC_REGION ?? process.env.ALIBABA_CLOUD_REGION ?? 'cn-hangzhou';
}

function cryptoId(): string {
  return `local-${randomUUID()}`;
}
