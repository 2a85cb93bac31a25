// Public types of the emulator. `index.ts` re-exports them; the admin HTTP API speaks the
// same shapes as JSON, so `admin-client.ts` shares them too.

export type Service = 'ecs' | 'sts' | 'eventbridge' | 'kms';

/** Per-instance execution states that ECS Cloud Assistant reports. */
export type InstanceStatus =
  | 'Pending'
  | 'Scheduled'
  | 'Running'
  | 'Stopping'
  | 'Stopped'
  | 'Finished'
  | 'Success'
  | 'Failed'
  | 'Cancelled'
  | 'Error'
  | 'Timeout'
  | 'Invalid'
  | 'Aborted'
  | 'Terminated';

/** Invocation-level states (see `ecs/status.ts` for how they derive from instances). */
export type InvocationStatus =
  | 'Pending'
  | 'Scheduled'
  | 'Running'
  | 'Stopping'
  | 'Stopped'
  | 'Success'
  | 'Failed'
  | 'PartialFailed';

export type RepeatMode = 'Once' | 'Period' | 'NextRebootOnly' | 'EveryReboot';

export interface SeedInvocation {
  /** Generated as 't-' + random lowercase alnum if absent. */
  invokeId?: string;
  /** Default 'cn-hangzhou'. */
  regionId?: string;
  commandId?: string;
  /** Default 'demo.sh'. */
  commandName?: string;
  commandType?: string;
  repeatMode?: 'Once' | 'Period';
  /** ISO 'YYYY-MM-DDTHH:mm:ssZ', default now. */
  creationTime?: string;
  /** The invocation's tags (RunCommand `Tag.N.Key`/`Tag.N.Value`), returned by DescribeInvocations. */
  tags?: Record<string, string>;
  instances: Array<{
    instanceId: string;
    /** Default Running. `Stopping` cannot be seeded: it only exists on the way to Stopped. */
    status?: Exclude<InstanceStatus, 'Stopping'>;
    startTime?: string;
    /** Stays Running after StopInvocation (to test that verification reports the truth). */
    ignoresStop?: boolean;
    /** The instance's tags (see `stopRequiresTag`): an instance is untagged unless seeded with some. */
    tags?: Record<string, string>;
  }>;
}

export interface InstanceState {
  instanceId: string;
  status: InstanceStatus;
  creationTime: string;
  updateTime: string;
  startTime?: string;
  stopTime?: string;
  finishTime?: string;
  exitCode?: number;
  /** Why a run failed (ErrorCode / ErrorInfo in DescribeInvocations), set by `finishInstance`. */
  errorCode?: string;
  errorInfo?: string;
  repeats: number;
  ignoresStop: boolean;
}

export interface InvocationState {
  invokeId: string;
  regionId: string;
  commandId: string;
  commandName: string;
  commandType: string;
  commandContent: string;
  repeatMode: RepeatMode;
  frequency: string;
  timed: boolean;
  invocationStatus: InvocationStatus;
  /** Legacy aggregate (`InvokeStatus`): Running | Finished | Failed | PartialFinished | Stopped. */
  invokeStatus: string;
  creationTime: string;
  /** True once StopInvocation hit it: a periodic invocation schedules no further runs. */
  stopRequested: boolean;
  tags: Record<string, string>;
  instances: InstanceState[];
}

/** How one instance's run ends (`finishInstance`), as Cloud Assistant reports it. */
export interface FinishInstance {
  status: 'Success' | 'Failed' | 'Error' | 'Timeout' | 'Invalid' | 'Aborted' | 'Cancelled' | 'Terminated';
  /** Default 0 for Success, 1 for Failed, else none. */
  exitCode?: number;
  errorCode?: string;
  errorInfo?: string;
}

/**
 * The Cloud Assistant task status event ECS publishes on the default bus when a run ends
 * (https://www.alibabacloud.com/help/en/ecs/user-guide/subscribe-to-cloud-assistant-events).
 */
export interface TaskEvent {
  id: string;
  source: 'acs.ecs';
  specversion: '1.0';
  subject: string;
  time: string;
  type: 'ecs:CloudAssistant:TaskCompleted';
  aliyunaccountid: string;
  aliyunpublishtime: string;
  aliyuneventbusname: 'default';
  aliyunregionid: string;
  aliyunpublishaddr: string;
  data: {
    commandId: string;
    commandName: string;
    exitCode: string;
    finishTime: string;
    instanceId: string;
    invocationStatus: string;
    invokeId: string;
    ownerId: string;
    repeatMode: string;
    repeats: string;
    startTime: string;
    errorCode: string;
    errorDesc: string;
  };
}

export interface Fault {
  service: Service;
  /** e.g. 'StopInvocation', 'AssumeRole', 'PutEvents'; absent = every action of that service. */
  action?: string;
  /** How many matching requests it hits; absent = all. */
  times?: number;
  status?: number;
  code?: string;
  message?: string;
  /** Sent as `x-acs-retry-after` in milliseconds (openapi-core sleeps that many ms). */
  retryAfterMs?: number;
  /** Delay before answering (normal answer if no status). */
  latencyMs?: number;
  /** Destroy the socket without answering. */
  reset?: boolean;
  /** Sent verbatim instead of the JSON error body, e.g. an HTML 502 page. */
  rawBody?: string;
  contentType?: string;
  /**
   * Sent as JSON instead of the error body, e.g. `null`, `{}` or `{"Code":"InternalError"}`
   * with `status: 200` (a 200 that is not a success).
   */
  body?: unknown;
  /** Only requests carrying these API parameters match, e.g. `{ InvokeId: 't-…' }`. */
  params?: Record<string, string>;
  /** Let this many matching requests through before the fault starts hitting. */
  skip?: number;
  /**
   * The request takes effect first (the stop happens), then the fault answers instead of
   * the real response: a lost or garbled answer to a call that did work.
   */
  apply?: boolean;
}

export interface LoggedRequest {
  time: string;
  service: Service;
  action: string;
  /** API parameters (query + form); `Signature` and `SecurityToken` are left out. */
  params: Record<string, string>;
  accessKeyId?: string;
  /** Whether a security token was presented. */
  securityToken?: boolean;
  signatureValid: boolean;
  /** HTTP status answered; 0 when a fault reset the connection. */
  status: number;
  code?: string;
  /** RPC services: requests of the same service in the emulator when this one arrived, itself included. */
  inFlight?: number;
}

export interface EmulatorConfig {
  /** Caps the lifetime of issued STS keys (0 = already expired when issued). */
  stsTokenTtlSeconds?: number;
  /** Known regions where ECS answers `RegionId.ApiNotSupported`. */
  unsupportedRegions: string[];
  /** When > 0, a stopped Running instance shows `Stopping` this long before `Stopped`. */
  stopLatencyMs: number;
  /** When set, AssumeRole on the demo role needs this ExternalId. */
  roleExternalId?: string;
  /**
   * Models ram/target-role-policy-tagged.json: StopInvocation is allowed only on instances
   * carrying this tag. One untagged instance among those a call names (or, without
   * InstanceId, among the invocation's) refuses the whole call with 403 Forbidden.RAM.
   */
  stopRequiresTag?: { key: string; value: string };
}

export type ConfigUpdate = Partial<{
  stsTokenTtlSeconds: number | null;
  unsupportedRegions: string[];
  stopLatencyMs: number;
  roleExternalId: string | null;
  stopRequiresTag: { key: string; value: string } | null;
}>;

export interface RequestFilter {
  service?: Service;
  action?: string;
}

export interface StsCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken: string;
  expiration: string;
}

export interface EmulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (the default) = a random free port. */
  ecsPort?: number;
  stsPort?: number;
  eventBridgePort?: number;
  kmsPort?: number;
}

/** Where things are and who may call; also served at `GET /__admin`. */
export interface EmulatorInfo {
  /** '127.0.0.1:PORT', plain http: openapi Config `{ endpoint, protocol: 'http' }`. */
  ecsEndpoint: string;
  /** '127.0.0.1:PORT', https with a certificate signed by emulator/certs/ca.pem. */
  stsEndpoint: string;
  /** '127.0.0.1:PORT', plain http. */
  eventBridgeEndpoint: string;
  /** '127.0.0.1:PORT', https (same certificate as STS): KMS GetSecretValue. */
  kmsEndpoint: string;
  /** 'http://127.0.0.1:ECSPORT/__admin'. */
  adminUrl: string;
  /** The permanent demo key (a RAM user of the account). */
  keys: { accessKeyId: string; accessKeySecret: string };
  /** Assumable with `keys` (or with any STS key of the account). */
  roleArn: string;
  accountId: string;
  /** Absolute path of the CA certificate clients must trust for STS. */
  caCertPath: string;
}

export interface Emulator extends EmulatorInfo {
  seedInvocation(spec: SeedInvocation): InvocationState;
  getInvocation(invokeId: string): InvocationState | undefined;
  listInvocations(): InvocationState[];
  /**
   * Ends one instance's run (Running, Pending or Scheduled) the way Cloud Assistant would,
   * and returns the task event ECS publishes for it (none for `Error`, which the documented
   * event list does not include).
   */
  finishInstance(invokeId: string, instanceId: string, end: FinishInstance): { invocation: InvocationState; event?: TaskEvent };
  requests(filter?: RequestFilter): LoggedRequest[];
  /** ECS, STS and KMS requests being handled now (a call its client gave up on, still to be answered and logged). */
  inFlight(): number;
  clearRequests(): void;
  /** Faults apply in insertion order; the first match wins. */
  injectFault(fault: Fault): void;
  clearFaults(): void;
  /** CloudEvents received through PutEvents. */
  events(): unknown[];
  configure(opts: ConfigUpdate): void;
  /** KMS Secrets Manager: adds a version (ACSCurrent) of a secret; putting it again rotates it. Returns the VersionId. */
  putSecret(name: string, data: string, dataType?: 'text' | 'binary'): string;
  /** Issues STS keys directly (as FC hands a function its role's keys), default 3600 s. */
  issueStsCredentials(durationSeconds?: number): StsCredentials;
  /** Clears invocations, requests, faults, events, secrets and config (issued keys stay valid). */
  reset(): void;
  close(): Promise<void>;
}
