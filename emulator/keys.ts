import { isoSeconds } from './util/time.js';
import * as ids from './util/ids.js';
import type { StsCredentials } from './types.js';

// Every access key the emulator knows: the permanent demo key and the STS keys AssumeRole
// has issued (kept after expiry so a late caller gets `InvalidSecurityToken.Expired`, not
// "unknown key"). Also remembers signature nonces, which the cloud refuses to see twice.

export interface KeyRecord {
  accessKeyId: string;
  accessKeySecret: string;
  kind: 'permanent' | 'sts';
  securityToken?: string;
  /** Epoch ms; STS keys only. */
  expiresAt?: number;
  /** Who signs with this key: a user, or an assumed-role session ARN. */
  principalArn: string;
}

/** Nonces are remembered as long as a timestamp could still be accepted (±15 min). */
const NONCE_WINDOW_MS = 15 * 60 * 1000;

export class KeyStore {
  private readonly keys = new Map<string, KeyRecord>();
  private readonly tokens = new Map<string, string>();
  private readonly nonces = new Map<string, number>();

  constructor(permanent: Array<Omit<KeyRecord, 'kind'>>) {
    for (const key of permanent) this.keys.set(key.accessKeyId, { ...key, kind: 'permanent' });
  }

  lookup(accessKeyId: string): KeyRecord | undefined {
    return this.keys.get(accessKeyId);
  }

  /** The STS access key id a token was issued with, if it is one of ours. */
  tokenOwner(token: string): string | undefined {
    return this.tokens.get(token);
  }

  issueSts(principalArn: string, ttlSeconds: number, now = Date.now()): StsCredentials {
    // Expiration has second precision on the wire; the key dies exactly when the client
    // believes it does.
    const expiration = isoSeconds(now + ttlSeconds * 1000);
    const record: KeyRecord = {
      accessKeyId: ids.stsAccessKeyId(),
      accessKeySecret: ids.secret(),
      kind: 'sts',
      securityToken: ids.securityToken(),
      expiresAt: Date.parse(expiration),
      principalArn,
    };
    this.keys.set(record.accessKeyId, record);
    this.tokens.set(record.securityToken!, record.accessKeyId);
    return {
      accessKeyId: record.accessKeyId,
      accessKeySecret: record.accessKeySecret,
      securityToken: record.securityToken!,
      expiration,
    };
  }

  /** Records a nonce; false when this key already used it inside the window. */
  useNonce(accessKeyId: string, nonce: string, now = Date.now()): boolean {
    // The map is in expiry order (same window, inserted as time goes on): drop the expired
    // head, so each call costs O(1) however many nonces a long benchmark has sent.
    for (const [k, until] of this.nonces) {
      if (until >= now) break;
      this.nonces.delete(k);
    }
    const id = `${accessKeyId}\n${nonce}`;
    if (this.nonces.has(id)) return false;
    this.nonces.set(id, now + NONCE_WINDOW_MS);
    return true;
  }
}
