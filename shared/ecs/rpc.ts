import openapiCore, { $OpenApiUtil, OpenApiUtil } from '@alicloud/openapi-core';
import * as $dara from '@darabonba/typescript';
import { cjsDefault } from '../interop.js';

// One signed Alibaba Cloud RPC call (POST, query parameters, JSON answer) through
// `@alicloud/openapi-core`'s signer, with one client per region. ECS and KMS speak the same
// style; what differs is the product's endpoint rules, its API version and the keys.

const OpenApi = cjsDefault(openapiCore);
type OpenApi = InstanceType<typeof OpenApi>;

/** What openapi-core calls for keys: any object with getCredential() (CredentialBroker.forOpenApi()). */
export type RpcCredential = { getCredential(): Promise<unknown> };

export interface RpcOptions {
  /** Endpoint rule name, e.g. 'ecs', 'kms'. */
  product: string;
  version: string;
  /** An explicit host (ECS_ENDPOINT, KMS_ENDPOINT); else the product's regional endpoint. */
  endpoint?: { host: string; protocol: 'http' | 'https' };
  network: 'public' | 'vpc';
  timeoutMs: number;
  credential: () => RpcCredential;
}

export class RpcClient {
  private readonly clients = new Map<string, OpenApi>();

  constructor(private readonly options: RpcOptions) {}

  /** The raw answer (`{ headers, statusCode, body }`); errors are the SDK's, for the caller to classify. */
  async call(regionId: string, action: string, query: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { endpoint, timeoutMs, version } = this.options;
    const params = new $OpenApiUtil.Params({
      action,
      version,
      protocol: endpoint?.protocol.toUpperCase() ?? 'HTTPS',
      pathname: '/',
      method: 'POST',
      authType: 'AK',
      style: 'RPC',
      reqBodyType: 'formData',
      bodyType: 'json',
    });
    const request = new $OpenApiUtil.OpenApiRequest({ query: OpenApiUtil.query(query) });
    // httpx applies connectTimeout as the socket's idle timeout for the whole exchange, so
    // anything shorter than the read timeout would cut slow answers short.
    const runtime = new $dara.RuntimeOptions({ readTimeout: timeoutMs, connectTimeout: timeoutMs });
    return (await this.client(regionId).callApi(params, request, runtime)) as Record<string, unknown>;
  }

  private client(regionId: string): OpenApi {
    let client = this.clients.get(regionId);
    if (!client) {
      const { product, endpoint, network, timeoutMs } = this.options;
      client = new OpenApi(
        new $OpenApiUtil.Config({
          // Typed as the library's Credential class; any object with getCredential() is what it calls.
          credential: this.options.credential() as unknown as $OpenApiUtil.Config['credential'],
          endpoint: endpoint?.host ?? OpenApiUtil.getEndpointRules(product, regionId, 'regional', network, ''),
          regionId,
          protocol: endpoint?.protocol ?? 'https',
          readTimeout: timeoutMs,
          connectTimeout: timeoutMs,
          userAgent: 'fc-stop-invocation',
        }),
      );
      this.clients.set(regionId, client);
    }
    return client;
  }
}
