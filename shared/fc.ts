// The Function Compute 3.0 wire, typed once: what FC hands a built-in Node.js runtime and
// what it takes back. Read by shared/triggers (the function) and by local/ (the stand-in
// runtime behind `npm start` and the tests). Types only: nothing here reaches the bundle.
//
// HTTP trigger request/response structs:
//   https://www.alibabacloud.com/help/en/functioncompute/fc/http-trigger-invoking-function
// Context object (Node.js):
//   https://www.alibabacloud.com/help/en/functioncompute/fc/user-guide/context-2

/** The STS keys of the function's role, as FC puts them on the context. */
export interface FcCredentials {
  accessKeyId?: string;
  accessKeySecret?: string;
  securityToken?: string;
}

/** The parts of the context the function reads; every field is optional because FC's own tools omit some. */
export interface FcContext {
  requestId?: string;
  region?: string;
  accountId?: string;
  credentials?: FcCredentials;
  function?: { name?: string; timeout?: number; handler?: string; memory?: number; initializer?: string };
}

/** The HTTP trigger's event: FC maps the request to this JSON and passes its bytes to the handler. */
export interface FcHttpEvent {
  version: 'v1';
  rawPath: string;
  /** One value each; FC joins repeated headers with commas. */
  headers: Record<string, string>;
  /** One value each; FC joins a repeated parameter's values with commas. */
  queryParameters: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
  requestContext: {
    accountId: string;
    domainName: string;
    domainPrefix: string;
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
    requestId: string;
    time: string;
    timeEpoch: string;
  };
}

/** What the handler returns for an HTTP trigger; FC maps it to the HTTP response. */
export interface FcHttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}
