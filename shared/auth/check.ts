// What one verifier makes of one credential the request presented. A verifier returns
// `undefined` when the request does not carry its kind of credential at all.

/** What an HMAC verifier reads: the request's headers and exact bytes, the secrets, the clock. */
export interface SignedInput {
  headers: Record<string, string>;
  body: Buffer;
  secrets: readonly string[];
  nowSeconds: number;
  toleranceSeconds: number;
}

export type CredentialMethod = 'standard-webhooks' | 'grafana-hmac' | 'bearer' | 'basic' | 'url-token';

export interface Check {
  method: CredentialMethod;
  ok: boolean;
  /** Where the credential was found, e.g. `header webhook-signature`, `query token`. */
  path: string;
  /** Why it did not verify. Never contains the credential, a signature or a secret. */
  reason: string;
  /** The message id the signature covers (Standard Webhooks `webhook-id`), when it verified. */
  messageId?: string;
}

export const passed = (method: CredentialMethod, path: string, messageId?: string): Check => ({ method, ok: true, path, reason: '', ...(messageId ? { messageId } : {}) });
export const failed = (method: CredentialMethod, path: string, reason: string): Check => ({ method, ok: false, path, reason });
