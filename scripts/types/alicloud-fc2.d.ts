// The part of `@alicloud/fc2` (FC 2016-08-15 API client, plain JavaScript) that
// scripts/invoke.ts uses. The package ships no type declarations.
declare module '@alicloud/fc2' {
  interface FcClientConfig {
    accessKeyID: string;
    accessKeySecret: string;
    /** Required when accessKeyID is an STS key (starts with `STS.`). */
    securityToken?: string;
    region: string;
    /** https when true (default http). */
    secure?: boolean;
    internal?: boolean;
    /** Full base URL, e.g. `http://127.0.0.1:9000`; overrides region/secure. */
    endpoint?: string;
    /** Milliseconds, default 60000. */
    timeout?: number;
    headers?: Record<string, string>;
  }

  interface FcResponse<T = unknown> {
    headers: Record<string, string | string[] | undefined>;
    /** Parsed JSON when the response says application/json, else the body text. */
    data: T;
  }

  class FCClient {
    constructor(accountId: string, config: FcClientConfig);
    invokeFunction(
      serviceName: string,
      functionName: string,
      event: string | Buffer,
      headers?: Record<string, string>,
      qualifier?: string,
      opts?: { rawBuf?: boolean },
    ): Promise<FcResponse>;
  }

  export = FCClient;
}
