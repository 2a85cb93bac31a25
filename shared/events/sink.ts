import eventBridgeModule, { CloudEvent, Config as EventBridgeConfig } from '@alicloud/eventbridge';
import type { Config } from '../config.js';
import type { CredentialBroker } from '../credentials.js';
import { cjsDefault } from '../interop.js';
import type { Logger } from '../log.js';
import type { Verdict } from './result.js';

// Publishes result events to an EventBridge bus (RESULT_EVENT_BUS) with PutEvents. A sink
// failure is logged and counted but never changes the stop's outcome: the stop already
// happened, and the result is still returned and logged.

export interface SinkStats {
  published: number;
  failed: number;
}

export type Sink = ((verdict: Verdict) => Promise<void>) & { stats: SinkStats };

type EventBridgeClient = InstanceType<typeof import('@alicloud/eventbridge').default>;

/**
 * The data-plane endpoint: EVENTBRIDGE_ENDPOINT, else the account's regional one; with
 * ECS_NETWORK=vpc the VPC one, which a function in a VPC without internet can reach.
 */
export function eventBridgeHost(config: Pick<Config, 'eventBridgeEndpoint' | 'ecsNetwork'>, region: string, accountId: string): string {
  if (config.eventBridgeEndpoint) return config.eventBridgeEndpoint.host;
  return `${accountId}.eventbridge.${region}${config.ecsNetwork === 'vpc' ? '-vpc' : ''}.aliyuncs.com`;
}

export function eventBridgeSink(config: Config, credentials: CredentialBroker, log: Logger, region: string, accountId: string): Sink {
  let client: EventBridgeClient | undefined;
  const stats: SinkStats = { published: 0, failed: 0 };
  const make = (): EventBridgeClient => {
    const Client = cjsDefault(eventBridgeModule);
    const endpoint = config.eventBridgeEndpoint;
    // The SDK reads the three parts separately; each comes from the same cached session.
    const credential = {
      getAccessKeyId: async () => (await credentials.get()).accessKeyId,
      getAccessKeySecret: async () => (await credentials.get()).accessKeySecret,
      getSecurityToken: async () => (await credentials.get()).securityToken ?? '',
      getType: () => 'sts',
    };
    return new Client(
      new EventBridgeConfig({
        credential,
        // The data-plane SDK defaults to http; results carry operational detail, so https.
        protocol: endpoint?.protocol ?? 'https',
        endpoint: eventBridgeHost(config, region, accountId),
        regionId: region,
        readTimeout: config.ecsTimeoutMs,
        connectTimeout: config.ecsTimeoutMs,
      }),
    );
  };
  const sink = async (verdict: Verdict) => {
    const bus = config.resultEventBus;
    if (!bus) return;
    const e = verdict.event;
    try {
      client ??= make();
      const response = await client.putEvents([
        new CloudEvent({
          id: e.id,
          source: e.source,
          type: e.type,
          subject: e.subject,
          time: e.time,
          datacontenttype: 'application/json',
          extensions: { aliyuneventbusname: bus },
          data: Buffer.from(JSON.stringify(e.data)),
        }),
      ]);
      if ((response.failedEntryCount ?? 0) > 0) throw new Error(`EventBridge refused the event: ${JSON.stringify(response.entryList ?? [])}`);
      stats.published++;
      log.debug('result event published', { bus, eventId: e.id });
    } catch (err) {
      stats.failed++;
      log.warn('result event not published', { bus, eventId: e.id, error: err instanceof Error ? err.message : String(err), sinkFailures: stats.failed });
    }
  };
  return Object.assign(sink, { stats });
}
