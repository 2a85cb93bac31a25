import { RequestError } from '../errors.js';
import type { ErrorDetail } from '../types.js';
import { verifyGrafana } from './grafana.js';
import { verifyStandardWebhook } from './standard-webhooks.js';
import { readAuthorization, verifyBasic, verifyBearer, verifyUrlToken, type BasicCredential } from './tokens.js';
import { toleranceOf, type Check, type CredentialMethod } from './verifier.js';

export { parseBasicAuthList } from './tokens.js';

// Authentication of HTTP webhooks (README "Security model"). Pure: no env, no logging, no I/O.
//
// The acceptance rule:
//  1. Nothing configured (no WEBHOOK_SECRETS, WEBHOOK_TOKENS, WEBHOOK_BASIC_AUTH) and
//     allowUnauthenticated false: every request is refused (401) with a how-to message.
//  2. Each credential the request presents is checked only against its own kind of configured
//     secret: Standard Webhooks and Grafana signatures against WEBHOOK_SECRETS, `Authorization:
//     Bearer` and `?token=` against WEBHOOK_TOKENS, `Authorization: Basic` against
//     WEBHOOK_BASIC_AUTH. A token anywhere else (a Basic password, another query key, a
//     signature header) never verifies.
//  3. The request is accepted when ANY presented credential verifies. A second, failing
//     credential next to a verifying one does not refuse it: its holder could have left the
//     failing one off and been accepted, so refusing would add no protection. The result names
//     the first that verified, in the order standard-webhooks, grafana-hmac, bearer, basic,
//     url-token.
//  4. Otherwise, with allowUnauthenticated true, a request that presented no credential of a
//     configured kind is accepted as 'unauthenticated'; one whose presented credentials were
//     checked and failed is still refused, so a misconfigured sender is noticed even in local
//     testing. Credentials of a kind that is not configured are ignored; an Authorization
//     header that is neither Bearer nor Basic counts as a failed credential when tokens or
//     Basic users are configured.
//  5. Everything else is 401 `Unauthorized`, with a WWW-Authenticate challenge and a message that
//     says what failed (never which secret was closest, never a credential or signature).

export interface AuthConfig {
  /** WEBHOOK_SECRETS: Standard Webhooks (`[whsec_]<base64>`, as the official library reads it) and Grafana HMAC (UTF-8 of the whole string). */
  webhookSecrets: string[];
  /** WEBHOOK_TOKENS: `Authorization: Bearer <t>` and `?token=<t>`. */
  webhookTokens: string[];
  /** WEBHOOK_BASIC_AUTH entries. */
  basicAuth: Array<{ username: string; password: string }>;
  /** ALLOW_UNAUTHENTICATED=true (local testing only). */
  allowUnauthenticated: boolean;
  /** Replay window for signed timestamps; default 300. */
  toleranceSeconds?: number;
}

export interface AuthInput {
  /** Names lower-cased. */
  headers: Record<string, string>;
  /** URL query (may contain `token`). */
  query: Record<string, string>;
  /** Exact bytes as received (already base64-decoded when FC said isBase64Encoded). */
  rawBody: Buffer;
  /** For tests; default Date.now()/1000. */
  nowSeconds?: number;
}

export interface AuthResult {
  method: CredentialMethod | 'unauthenticated';
  /**
   * Whether what admitted the request covers the URL: a bearer, Basic or URL token
   * authenticates the whole request; an HMAC signature covers only the signed bytes.
   * With ALLOW_UNAUTHENTICATED (local testing) nothing is covered and nothing is checked,
   * so the URL is as trusted as the body.
   */
  coversUrl: boolean;
  /** The delivery id a verified signature covers (Standard Webhooks `webhook-id`/`svix-id`). */
  messageId?: string;
}

/** Credentials that authenticate the whole request, URL included. */
const URL_COVERING: ReadonlySet<CredentialMethod> = new Set(['bearer', 'basic', 'url-token']);

const REALM = 'fc-stop-invocation';

export const NOT_CONFIGURED_MESSAGE =
  'webhook authentication is not configured, so every HTTP request is refused. Configure at least one of: ' +
  "WEBHOOK_TOKENS (comma list; send 'Authorization: Bearer <token>' or '?token=<token>'), " +
  'WEBHOOK_SECRETS (comma list; Standard Webhooks or Grafana HMAC signatures), ' +
  'WEBHOOK_BASIC_AUTH (comma list of user:password for HTTP Basic). ' +
  'For local testing only, ALLOW_UNAUTHENTICATED=true accepts unauthenticated requests.';

export function authConfigured(config: AuthConfig): boolean {
  const c = usable(config);
  return c.secrets.length > 0 || c.tokens.length > 0 || c.basic.length > 0;
}

export function authenticate(input: AuthInput, config: AuthConfig): AuthResult {
  try {
    return decide(input, config);
  } catch (err) {
    if (err instanceof RequestError) throw err;
    // Fail closed on anything unforeseen; the cause may hold request data, so it is not quoted.
    throw new RequestError(401, 'Unauthorized', 'the request credentials could not be checked', [], { 'www-authenticate': challenge(usable(config).basic.length > 0, false) });
  }
}

function decide(input: AuthInput, config: AuthConfig): AuthResult {
  const { secrets, tokens, basic } = usable(config);
  const configured = secrets.length > 0 || tokens.length > 0 || basic.length > 0;
  if (!configured && !config.allowUnauthenticated) {
    throw new RequestError(401, 'Unauthorized', NOT_CONFIGURED_MESSAGE, [], { 'www-authenticate': challenge(false, false) });
  }

  const headers = input.headers ?? {};
  const query = input.query ?? {};
  const body = Buffer.isBuffer(input.rawBody) ? input.rawBody : Buffer.from(typeof input.rawBody === 'string' ? input.rawBody : '');
  const now = typeof input.nowSeconds === 'number' && Number.isFinite(input.nowSeconds) ? input.nowSeconds : Date.now() / 1000;
  const tolerance = toleranceOf(config.toleranceSeconds);

  const checked: Check[] = [];
  const notes: ErrorDetail[] = [];
  const consider = (check: Check | undefined, kindConfigured: boolean) => {
    if (check === undefined) return;
    if (kindConfigured) checked.push(check);
    else notes.push({ path: check.path, message: 'this kind of credential is not configured here' });
  };

  const signed = { headers, body, secrets, nowSeconds: now, toleranceSeconds: tolerance };
  consider(verifyStandardWebhook(signed), secrets.length > 0);
  consider(verifyGrafana(signed), secrets.length > 0);

  const authorization = readAuthorization(headers);
  let badAuthorization = false;
  if (authorization?.scheme === 'bearer') consider(verifyBearer(authorization.credentials, tokens), tokens.length > 0);
  else if (authorization?.scheme === 'basic') consider(verifyBasic(authorization.credentials, basic), basic.length > 0);
  else if (authorization !== undefined && (tokens.length > 0 || basic.length > 0)) {
    badAuthorization = true;
    const why = authorization.scheme === 'too-long' ? 'is too long' : "is not 'Bearer <token>' or 'Basic <base64 of user:password>'";
    notes.push({ path: 'header authorization', message: why });
  }

  consider(verifyUrlToken(query, tokens), tokens.length > 0);

  const verified = checked.filter((c) => c.ok);
  if (verified.length > 0) {
    const messageId = verified.find((c) => c.messageId)?.messageId;
    return { method: verified[0].method, coversUrl: verified.some((c) => URL_COVERING.has(c.method)), ...(messageId ? { messageId } : {}) };
  }

  const failures = checked.filter((c) => !c.ok);
  if (config.allowUnauthenticated && failures.length === 0 && !badAuthorization) return { method: 'unauthenticated', coversUrl: true };

  const details: ErrorDetail[] = [...failures.map((c) => ({ path: c.path, message: c.reason })), ...notes];
  const accepted = acceptedHere(secrets.length > 0, tokens.length > 0, basic.length > 0);
  const message =
    failures.length > 0 || badAuthorization
      ? `authentication failed: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}. Accepted here: ${accepted}`
      : `authentication required: send ${accepted}`;
  const bearerFailed = failures.some((c) => c.method === 'bearer');
  throw new RequestError(401, 'Unauthorized', message, details, { 'www-authenticate': challenge(basic.length > 0, bearerFailed) });
}

function usable(config: AuthConfig): { secrets: string[]; tokens: string[]; basic: BasicCredential[] } {
  const strings = (list: unknown): string[] => (Array.isArray(list) ? list.filter((s): s is string => typeof s === 'string' && s.length > 0) : []);
  const basic = Array.isArray(config.basicAuth)
    ? config.basicAuth.filter((b) => typeof b?.username === 'string' && typeof b.password === 'string' && b.username !== '' && b.password !== '')
    : [];
  return { secrets: strings(config.webhookSecrets), tokens: strings(config.webhookTokens), basic };
}

function acceptedHere(signatures: boolean, tokens: boolean, basic: boolean): string {
  const ways: string[] = [];
  if (signatures) {
    ways.push('a Standard Webhooks signature (webhook-id, webhook-timestamp, webhook-signature)');
    ways.push('a Grafana HMAC signature (X-Grafana-Alerting-Signature)');
  }
  if (tokens) ways.push("'Authorization: Bearer <token>'", "'?token=<token>' in the URL");
  if (basic) ways.push("'Authorization: Basic <base64 of user:password>'");
  return ways.length === 0 ? 'nothing (no credentials are configured)' : `one of ${ways.join(', ')}`;
}

function challenge(basic: boolean, bearerFailed: boolean): string {
  const bearer = `Bearer realm="${REALM}"${bearerFailed ? ', error="invalid_token"' : ''}`;
  return basic ? `${bearer}, Basic realm="${REALM}", charset="UTF-8"` : bearer;
}
