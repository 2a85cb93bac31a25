import { FaultRegistry } from './faults.js';
import { DEMO_KEYS, DEMO_USER_ARN } from './identity.js';
import { KeyStore } from './keys.js';
import { SecretStore } from './kms.js';
import { RequestLog } from './requests.js';
import { InvocationStore } from './state.js';
import type { ConfigUpdate, EmulatorConfig } from './types.js';

// Everything the services and the admin API share.

export interface EmulatorContext {
  keys: KeyStore;
  store: InvocationStore;
  log: RequestLog;
  faults: FaultRegistry;
  events: unknown[];
  secrets: SecretStore;
  config: EmulatorConfig;
}

export function createContext(): EmulatorContext {
  return {
    keys: new KeyStore([{ ...DEMO_KEYS, principalArn: DEMO_USER_ARN }]),
    store: new InvocationStore(),
    log: new RequestLog(),
    faults: new FaultRegistry(),
    events: [],
    secrets: new SecretStore(),
    config: defaultConfig(),
  };
}

export function defaultConfig(): EmulatorConfig {
  return { unsupportedRegions: [], stopLatencyMs: 0 };
}

export function applyConfig(config: EmulatorConfig, update: ConfigUpdate): void {
  if (update.stsTokenTtlSeconds !== undefined) {
    const ttl = update.stsTokenTtlSeconds;
    if (ttl !== null && !(Number.isFinite(ttl) && ttl >= 0)) throw new Error('stsTokenTtlSeconds must be >= 0');
    config.stsTokenTtlSeconds = ttl ?? undefined;
  }
  if (update.unsupportedRegions !== undefined) {
    if (!Array.isArray(update.unsupportedRegions) || !update.unsupportedRegions.every((r) => typeof r === 'string')) {
      throw new Error('unsupportedRegions must be a list of region ids');
    }
    config.unsupportedRegions = [...update.unsupportedRegions];
  }
  if (update.stopLatencyMs !== undefined) {
    if (!(Number.isFinite(update.stopLatencyMs) && update.stopLatencyMs >= 0)) throw new Error('stopLatencyMs must be >= 0');
    config.stopLatencyMs = update.stopLatencyMs;
  }
  if (update.roleExternalId !== undefined) {
    config.roleExternalId = update.roleExternalId ?? undefined;
  }
  if (update.stopRequiresTag !== undefined) {
    const tag = update.stopRequiresTag;
    if (tag !== null && !(typeof tag?.key === 'string' && tag.key !== '' && typeof tag.value === 'string')) {
      throw new Error('stopRequiresTag must be {key, value} or null');
    }
    config.stopRequiresTag = tag ? { key: tag.key, value: tag.value } : undefined;
  }
}

/** Back to a fresh emulator, except issued keys (a client may still hold them). */
export function resetContext(ctx: EmulatorContext): void {
  ctx.store.clear();
  ctx.log.clear();
  ctx.faults.clear();
  ctx.events.length = 0;
  ctx.secrets.clear();
  ctx.config = defaultConfig();
}
