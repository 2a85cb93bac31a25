import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authConfigured, authenticate, parseBasicAuthList, type AuthConfig, type AuthInput } from '../shared/auth/index.js';
import { matchesAny, safeEqual } from '../shared/auth/verifier.js';
import { RequestError } from '../shared/errors.js';
import { anyCodePoint } from './helpers/arbitraries.js';

// Every signature here is computed independently with node:crypto, the way each sender
// computes it; nothing is borrowed from the module under test.

const NOW = 1_800_000_000;
const BODY = Buffer.from(JSON.stringify({ regionId: 'cn-hangzhou', invokeId: 't-hz0jdfwd9f2a1b', reason: 'rollback' }));

const KEY_A = randomBytes(32);
const KEY_B = randomBytes(24);
const SECRET_A = `whsec_${KEY_A.toString('base64')}`;
const SECRET_B = `whsec_${KEY_B.toString('base64')}`;
const RAW_SECRET = 'plain-shared-secret-Ω-42';
const TOKEN = 'tok_9f8e7d6c5b4a39281706';
const TOKEN_2 = 'second-token-for-rotation-xyz';
const USER = 'alertmanager';
const PASSWORD = 'pa:ss:w0rd-with-colons';

const config = (over: Partial<AuthConfig> = {}): AuthConfig => ({
  webhookSecrets: [],
  webhookTokens: [],
  basicAuth: [],
  allowUnauthenticated: false,
  ...over,
});
const input = (over: Partial<AuthInput> = {}): AuthInput => ({ headers: {}, query: {}, rawBody: BODY, nowSeconds: NOW, ...over });

// --- senders -----------------------------------------------------------------------------

function standardSignature(key: Buffer, id: string, timestamp: string, body: Buffer): string {
  return `v1,${createHmac('sha256', key).update(Buffer.concat([Buffer.from(`${id}.${timestamp}.`), body])).digest('base64')}`;
}

function standardHeaders(key: Buffer, opts: { id?: string; ts?: number; body?: Buffer; prefix?: string } = {}): Record<string, string> {
  const id = opts.id ?? 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
  const ts = String(opts.ts ?? NOW);
  const p = opts.prefix ?? 'webhook';
  return { [`${p}-id`]: id, [`${p}-timestamp`]: ts, [`${p}-signature`]: standardSignature(key, id, ts, opts.body ?? BODY) };
}

function grafanaSignature(secret: string, body: Buffer, timestamp?: string): string {
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8'));
  if (timestamp !== undefined) mac.update(`${timestamp}:`);
  return mac.update(body).digest('hex');
}

const basicHeader = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`, 'utf8').toString('base64')}`;

function refusal(run: () => unknown): RequestError {
  let caught: unknown;
  try {
    run();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(RequestError);
  const err = caught as RequestError;
  expect(err.status).toBe(401);
  expect(err.code).toBe('Unauthorized');
  expect(err.headers['www-authenticate']).toMatch(/^Bearer realm="fc-stop-invocation"/);
  return err;
}

/** Everything a 401 tells the caller, as one string. */
const told = (err: RequestError) => JSON.stringify({ message: err.message, details: err.details, headers: err.headers });

// --- Standard Webhooks ---------------------------------------------------------------------

describe('Standard Webhooks', () => {
  const cfg = config({ webhookSecrets: [SECRET_A] });

  it('accepts a request signed with the whsec_ secret', () => {
    expect(authenticate(input({ headers: standardHeaders(KEY_A) }), cfg)).toEqual({ method: 'standard-webhooks', coversUrl: false, messageId: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W' });
  });

  it('accepts when one of several signatures in the header is valid, ignoring other versions', () => {
    const h = standardHeaders(KEY_A);
    const wrong = standardSignature(randomBytes(32), h['webhook-id'], h['webhook-timestamp'], BODY);
    h['webhook-signature'] = `${wrong} v1a,${randomBytes(64).toString('base64')} ${h['webhook-signature']} v2,abc`;
    expect(authenticate(input({ headers: h }), cfg).method).toBe('standard-webhooks');
  });

  it('accepts the svix-* header aliases', () => {
    expect(authenticate(input({ headers: standardHeaders(KEY_A, { prefix: 'svix' }) }), cfg).method).toBe('standard-webhooks');
  });

  it('reads a secret without the whsec_ prefix as base64 (as the official library does), not as UTF-8', () => {
    const bare = KEY_A.toString('base64');
    expect(authenticate(input({ headers: standardHeaders(KEY_A) }), config({ webhookSecrets: [bare] })).method).toBe('standard-webhooks');
    refusal(() => authenticate(input({ headers: standardHeaders(Buffer.from(bare, 'utf8')) }), config({ webhookSecrets: [bare] })));
    // Not base64 at all: no Standard Webhooks key (it can still be a Grafana secret).
    refusal(() => authenticate(input({ headers: standardHeaders(Buffer.from(RAW_SECRET, 'utf8')) }), config({ webhookSecrets: [RAW_SECRET] })));
  });

  it('refuses a request signed with another secret', () => {
    const err = refusal(() => authenticate(input({ headers: standardHeaders(randomBytes(32)) }), cfg));
    expect(err.message).toContain('webhook-signature does not match');
  });

  it('refuses a v1a-only (asymmetric) signature even if its bytes are the HMAC', () => {
    const h = standardHeaders(KEY_A);
    h['webhook-signature'] = h['webhook-signature'].replace(/^v1,/, 'v1a,');
    expect(refusal(() => authenticate(input({ headers: h }), cfg)).message).toContain('no v1 signature');
  });

  it('refuses a stale timestamp beyond the tolerance, without naming a secret', () => {
    const h = standardHeaders(KEY_A, { ts: NOW - 301 });
    const err = refusal(() => authenticate(input({ headers: h }), cfg));
    expect(err.message).toContain('timestamp outside the tolerance');
    expect(err.message).toContain('in the past');
    expect(told(err)).not.toContain(SECRET_A);
  });

  it('refuses a future timestamp beyond the tolerance', () => {
    const err = refusal(() => authenticate(input({ headers: standardHeaders(KEY_A, { ts: NOW + 301 }) }), cfg));
    expect(err.message).toMatch(/outside the tolerance.*in the future/);
  });

  it('accepts timestamps at the edge of the tolerance and honours a configured tolerance', () => {
    expect(authenticate(input({ headers: standardHeaders(KEY_A, { ts: NOW - 300 }) }), cfg).method).toBe('standard-webhooks');
    expect(authenticate(input({ headers: standardHeaders(KEY_A, { ts: NOW + 300 }) }), cfg).method).toBe('standard-webhooks');
    const tight = { ...cfg, toleranceSeconds: 10 };
    refusal(() => authenticate(input({ headers: standardHeaders(KEY_A, { ts: NOW - 11 }) }), tight));
  });

  it('defaults the clock to Date.now()', () => {
    const now = Math.floor(Date.now() / 1000);
    expect(authenticate({ headers: standardHeaders(KEY_A, { ts: now }), query: {}, rawBody: BODY }, cfg).method).toBe('standard-webhooks');
    refusal(() => authenticate({ headers: standardHeaders(KEY_A, { ts: NOW }), query: {}, rawBody: BODY }, cfg));
  });

  it('refuses a body altered after signing (one byte, or appended)', () => {
    const h = standardHeaders(KEY_A);
    const flipped = Buffer.from(BODY);
    flipped[10] ^= 1;
    refusal(() => authenticate(input({ headers: h, rawBody: flipped }), cfg));
    refusal(() => authenticate(input({ headers: h, rawBody: Buffer.concat([BODY, Buffer.from(' ')]) }), cfg));
  });

  it('refuses an altered id or timestamp', () => {
    refusal(() => authenticate(input({ headers: { ...standardHeaders(KEY_A), 'webhook-id': 'msg_other' } }), cfg));
    refusal(() => authenticate(input({ headers: { ...standardHeaders(KEY_A), 'webhook-timestamp': String(NOW + 1) } }), cfg));
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])('refuses when %s is missing', (name) => {
    const h = standardHeaders(KEY_A);
    delete h[name];
    expect(refusal(() => authenticate(input({ headers: h }), cfg)).message).toContain('must all be present');
  });

  it('refuses a request without any credentials, saying what is accepted', () => {
    const err = refusal(() => authenticate(input(), cfg));
    expect(err.message).toMatch(/^authentication required: send one of a Standard Webhooks signature/);
  });

  it('refuses non-numeric timestamps', () => {
    for (const ts of ['abc', '1.5e9', '-1800000000', '', ' ', '18000000000000000000', '0x6b49d200']) {
      const h = { ...standardHeaders(KEY_A), 'webhook-timestamp': ts };
      refusal(() => authenticate(input({ headers: h }), cfg));
    }
  });

  it('rotation: old and new secrets both verify; a removed secret does not', () => {
    const rotating = config({ webhookSecrets: [SECRET_A, SECRET_B] });
    expect(authenticate(input({ headers: standardHeaders(KEY_A) }), rotating).method).toBe('standard-webhooks');
    expect(authenticate(input({ headers: standardHeaders(KEY_B) }), rotating).method).toBe('standard-webhooks');
    const rotated = config({ webhookSecrets: [SECRET_B] });
    refusal(() => authenticate(input({ headers: standardHeaders(KEY_A) }), rotated));
  });
});

// --- Grafana -------------------------------------------------------------------------------

describe('Grafana HMAC', () => {
  // Grafana keys the HMAC with the secret exactly as typed, whsec_ prefix included.
  const cfg = config({ webhookSecrets: [SECRET_A] });

  it.each(['x-grafana-alerting-signature', 'x-grafana-alert-signature'])('accepts %s over the body (no timestamp)', (name) => {
    const h = { [name]: grafanaSignature(SECRET_A, BODY) };
    expect(authenticate(input({ headers: h }), cfg)).toEqual({ method: 'grafana-hmac', coversUrl: false });
  });

  it.each([
    ['x-grafana-alerting-signature', 'x-grafana-alerting-signature-timestamp'],
    ['x-grafana-alert-signature', 'x-grafana-alert-signature-timestamp'],
    ['x-grafana-alerting-signature', 'x-grafana-alerting-timestamp'],
  ])('accepts %s over "timestamp:body" with %s', (sig, tsName) => {
    const ts = String(NOW - 5);
    const h = { [sig]: grafanaSignature(SECRET_A, BODY, ts), [tsName]: ts };
    expect(authenticate(input({ headers: h }), cfg).method).toBe('grafana-hmac');
  });

  it('accepts upper-case hex', () => {
    const h = { 'x-grafana-alerting-signature': grafanaSignature(SECRET_A, BODY).toUpperCase() };
    expect(authenticate(input({ headers: h }), cfg).method).toBe('grafana-hmac');
  });

  it('does not base64-decode a whsec_ secret for Grafana', () => {
    const h = { 'x-grafana-alerting-signature': createHmac('sha256', KEY_A).update(BODY).digest('hex') };
    refusal(() => authenticate(input({ headers: h }), cfg));
  });

  it('refuses a body-only signature when a timestamp header is present', () => {
    const h = { 'x-grafana-alerting-signature': grafanaSignature(SECRET_A, BODY), 'x-grafana-alerting-signature-timestamp': String(NOW) };
    refusal(() => authenticate(input({ headers: h }), cfg));
  });

  it('enforces the tolerance on the timestamp', () => {
    const ts = String(NOW - 600);
    const h = { 'x-grafana-alerting-signature': grafanaSignature(SECRET_A, BODY, ts), 'x-grafana-alerting-signature-timestamp': ts };
    expect(refusal(() => authenticate(input({ headers: h }), cfg)).message).toContain('outside the tolerance');
  });

  it('refuses the wrong secret, an altered body, and a non-hex signature', () => {
    refusal(() => authenticate(input({ headers: { 'x-grafana-alerting-signature': grafanaSignature('other', BODY) } }), cfg));
    const h = { 'x-grafana-alerting-signature': grafanaSignature(SECRET_A, BODY) };
    refusal(() => authenticate(input({ headers: h, rawBody: Buffer.from(`${BODY.toString()} `) }), cfg));
    refusal(() => authenticate(input({ headers: { 'x-grafana-alerting-signature': `sha256=${grafanaSignature(SECRET_A, BODY)}` } }), cfg));
  });

  it('rotation: any configured secret verifies', () => {
    const rotating = config({ webhookSecrets: [RAW_SECRET, SECRET_A] });
    for (const s of [RAW_SECRET, SECRET_A]) {
      expect(authenticate(input({ headers: { 'x-grafana-alerting-signature': grafanaSignature(s, BODY) } }), rotating).method).toBe('grafana-hmac');
    }
    refusal(() => authenticate(input({ headers: { 'x-grafana-alerting-signature': grafanaSignature(SECRET_B, BODY) } }), rotating));
  });
});

// --- Bearer, Basic, URL token ------------------------------------------------------------------

describe('Bearer, Basic and URL token', () => {
  const cfg = config({ webhookTokens: [TOKEN, TOKEN_2], basicAuth: [{ username: USER, password: PASSWORD }] });

  it('accepts a valid bearer token (scheme case-insensitive)', () => {
    expect(authenticate(input({ headers: { authorization: `Bearer ${TOKEN}` } }), cfg)).toEqual({ method: 'bearer', coversUrl: true });
    expect(authenticate(input({ headers: { authorization: `bearer ${TOKEN_2}` } }), cfg)).toEqual({ method: 'bearer', coversUrl: true });
  });

  it('refuses an invalid bearer token with an invalid_token challenge', () => {
    for (const t of [`${TOKEN}x`, TOKEN.slice(0, -1), TOKEN.toUpperCase(), '']) {
      const err = refusal(() => authenticate(input({ headers: { authorization: `Bearer ${t}` } }), cfg));
      if (t !== '') expect(err.headers['www-authenticate']).toContain('error="invalid_token"');
      expect(err.headers['www-authenticate']).toContain('Basic realm="fc-stop-invocation"');
    }
  });

  it('accepts valid Basic credentials, with a password containing ":"', () => {
    expect(authenticate(input({ headers: { authorization: basicHeader(USER, PASSWORD) } }), cfg)).toEqual({ method: 'basic', coversUrl: true });
  });

  it('refuses wrong Basic user or password, and malformed Basic values', () => {
    refusal(() => authenticate(input({ headers: { authorization: basicHeader(USER, 'pa:ss') } }), cfg));
    refusal(() => authenticate(input({ headers: { authorization: basicHeader('other', PASSWORD) } }), cfg));
    refusal(() => authenticate(input({ headers: { authorization: 'Basic !!!not-base64' } }), cfg));
    refusal(() => authenticate(input({ headers: { authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` } }), cfg));
  });

  it('accepts a valid URL token', () => {
    expect(authenticate(input({ query: { token: TOKEN } }), cfg)).toEqual({ method: 'url-token', coversUrl: true });
  });

  it('refuses a token in the wrong place', () => {
    // as a Basic password (or user), in another query key, as a raw Authorization value, as a signature
    refusal(() => authenticate(input({ headers: { authorization: basicHeader(USER, TOKEN) } }), cfg));
    refusal(() => authenticate(input({ headers: { authorization: basicHeader(TOKEN, TOKEN) } }), cfg));
    refusal(() => authenticate(input({ query: { access_token: TOKEN } }), cfg));
    refusal(() => authenticate(input({ query: { Token: TOKEN } }), cfg));
    refusal(() => authenticate(input({ headers: { authorization: TOKEN } }), cfg));
    refusal(() => authenticate(input({ headers: { 'x-token': TOKEN } }), cfg));
    // a Basic password is not a URL token or bearer token
    refusal(() => authenticate(input({ query: { token: PASSWORD } }), cfg));
    refusal(() => authenticate(input({ headers: { authorization: `Bearer ${PASSWORD}` } }), cfg));
  });

  it('never lets a token verify a signature, nor a secret pass as a token', () => {
    const both = config({ webhookTokens: [TOKEN], webhookSecrets: [SECRET_A] });
    refusal(() => authenticate(input({ headers: { authorization: `Bearer ${SECRET_A}` } }), both));
    refusal(() => authenticate(input({ query: { token: SECRET_A } }), both));
    refusal(() => authenticate(input({ headers: { 'x-grafana-alerting-signature': grafanaSignature(TOKEN, BODY) } }), both));
  });

  it('ignores empty configured tokens (an empty ?token= never matches)', () => {
    const cfgEmpty = config({ webhookTokens: ['', TOKEN] });
    refusal(() => authenticate(input({ query: { token: '' } }), cfgEmpty));
    refusal(() => authenticate(input({ headers: { authorization: 'Bearer ' } }), cfgEmpty));
  });

  it('says when a presented credential is of a kind that is not configured', () => {
    const err = refusal(() => authenticate(input({ headers: { authorization: `Bearer ${TOKEN}` } }), config({ webhookSecrets: [SECRET_A] })));
    expect(err.details).toContainEqual({ path: 'header authorization', message: 'this kind of credential is not configured here' });
  });
});

// --- the acceptance rule ---------------------------------------------------------------------

describe('acceptance rule', () => {
  const all = config({ webhookSecrets: [SECRET_A], webhookTokens: [TOKEN], basicAuth: [{ username: USER, password: PASSWORD }] });

  it('accepts when any presented credential verifies, even next to a failing one', () => {
    const badSig = { ...standardHeaders(randomBytes(32)) };
    expect(authenticate(input({ headers: { ...badSig, authorization: `Bearer ${TOKEN}` } }), all).method).toBe('bearer');
    expect(authenticate(input({ headers: { authorization: 'Bearer nope' }, query: { token: TOKEN } }), all).method).toBe('url-token');
    const stale = standardHeaders(KEY_A, { ts: NOW - 3600 });
    expect(authenticate(input({ headers: { ...stale, authorization: basicHeader(USER, PASSWORD) } }), all).method).toBe('basic');
  });

  it('names the first verified method in a fixed order', () => {
    const h = { ...standardHeaders(KEY_A), authorization: `Bearer ${TOKEN}` };
    expect(authenticate(input({ headers: h, query: { token: TOKEN } }), all).method).toBe('standard-webhooks');
  });

  it('refuses when everything presented fails, listing each failure', () => {
    const h = { ...standardHeaders(randomBytes(32)), authorization: 'Bearer nope' };
    const err = refusal(() => authenticate(input({ headers: h, query: { token: 'nope' } }), all));
    expect(err.message).toMatch(/^authentication failed: /);
    expect(err.details.map((d) => d.path)).toEqual(['header webhook-signature', 'header authorization', 'query token']);
  });

  it('nothing configured: every request is refused with the how-to message', () => {
    for (const req of [input(), input({ headers: { authorization: `Bearer ${TOKEN}` } }), input({ headers: standardHeaders(KEY_A) })]) {
      const err = refusal(() => authenticate(req, config()));
      for (const name of ['WEBHOOK_TOKENS', 'WEBHOOK_SECRETS', 'WEBHOOK_BASIC_AUTH', 'ALLOW_UNAUTHENTICATED=true']) expect(err.message).toContain(name);
      expect(err.message).toContain('local testing only');
    }
  });

  it('allowUnauthenticated with nothing configured: accepted as unauthenticated', () => {
    const open = config({ allowUnauthenticated: true });
    expect(authenticate(input(), open)).toEqual({ method: 'unauthenticated', coversUrl: true });
    expect(authenticate(input({ headers: { authorization: 'Bearer whatever' }, query: { token: 'x' } }), open)).toEqual({ method: 'unauthenticated', coversUrl: true });
  });

  it('allowUnauthenticated with credentials configured: bare requests pass, failing credentials do not', () => {
    const open = { ...all, allowUnauthenticated: true };
    expect(authenticate(input(), open)).toEqual({ method: 'unauthenticated', coversUrl: true });
    expect(authenticate(input({ headers: { authorization: `Bearer ${TOKEN}` } }), open)).toEqual({ method: 'bearer', coversUrl: true });
    refusal(() => authenticate(input({ headers: { authorization: 'Bearer wrong' } }), open));
    refusal(() => authenticate(input({ headers: standardHeaders(KEY_A, { ts: NOW - 3600 }) }), open));
  });

  it('authConfigured reflects usable credentials only', () => {
    expect(authConfigured(config())).toBe(false);
    expect(authConfigured(config({ webhookTokens: [''], allowUnauthenticated: true }))).toBe(false);
    expect(authConfigured(config({ webhookTokens: [TOKEN] }))).toBe(true);
    expect(authConfigured(config({ webhookSecrets: [SECRET_A] }))).toBe(true);
    expect(authConfigured(config({ basicAuth: [{ username: USER, password: PASSWORD }] }))).toBe(true);
  });
});

// --- what a 401 may say ------------------------------------------------------------------------

describe('401 responses never disclose credentials', () => {
  const all = config({ webhookSecrets: [SECRET_A, RAW_SECRET], webhookTokens: [TOKEN], basicAuth: [{ username: USER, password: PASSWORD }] });

  it('leaks no secret, token, password or presented signature', () => {
    const nearToken = `${TOKEN.slice(0, -1)}Z`;
    const forgedSw = standardHeaders(randomBytes(32));
    const forgedGrafana = grafanaSignature('forged-secret', BODY);
    const cases: AuthInput[] = [
      input({ headers: forgedSw }),
      input({ headers: standardHeaders(KEY_A, { ts: NOW - 999 }) }),
      input({ headers: { 'x-grafana-alerting-signature': forgedGrafana } }),
      input({ headers: { authorization: `Bearer ${nearToken}` } }),
      input({ headers: { authorization: basicHeader(USER, `${PASSWORD}x`) } }),
      input({ query: { token: nearToken } }),
      input({ headers: { authorization: `Token ${TOKEN}` } }),
    ];
    const forbidden = [
      SECRET_A, KEY_A.toString('base64'), RAW_SECRET, TOKEN, nearToken, PASSWORD, `${PASSWORD}x`,
      forgedSw['webhook-signature'], forgedSw['webhook-signature'].slice(3), forgedGrafana,
      Buffer.from(`${USER}:${PASSWORD}x`).toString('base64'),
    ];
    for (const req of cases) {
      const text = told(refusal(() => authenticate(req, all)));
      for (const secret of forbidden) expect(text).not.toContain(secret);
    }
  });

  it('parseBasicAuthList errors do not quote the entry', () => {
    try {
      parseBasicAuthList(`${USER}:${PASSWORD},secret-without-colon`);
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toContain('entry 2');
      expect((err as Error).message).not.toContain('secret-without-colon');
    }
  });
});

// --- parseBasicAuthList and compare -------------------------------------------------------------

describe('parseBasicAuthList', () => {
  it('parses user:password lists; passwords may contain ":"', () => {
    expect(parseBasicAuthList('u1:p1,u2:p:2:3')).toEqual([
      { username: 'u1', password: 'p1' },
      { username: 'u2', password: 'p:2:3' },
    ]);
    expect(parseBasicAuthList(' u1:p1 , u2:p2 ')).toEqual([
      { username: 'u1', password: 'p1' },
      { username: 'u2', password: 'p2' },
    ]);
    expect(parseBasicAuthList('')).toEqual([]);
  });

  it.each(['nocolon', ':pass', 'user:', 'u:p,,v:q', 'u:p,'])('rejects %j with a clear message', (value) => {
    expect(() => parseBasicAuthList(value)).toThrow(/WEBHOOK_BASIC_AUTH entry \d+ .*user:password/);
  });
});

describe('compare', () => {
  it('compares values of any length without throwing', () => {
    expect(safeEqual('a', 'a')).toBe(true);
    expect(safeEqual('a', 'ab')).toBe(false);
    expect(safeEqual('', 'x'.repeat(10_000))).toBe(false);
    expect(safeEqual(Buffer.from([1, 2]), Buffer.from([1, 2]))).toBe(true);
    expect(matchesAny('b', ['a', 'b', 'c'])).toBe(true);
    expect(matchesAny('d', [])).toBe(false);
  });
});

// --- hostile input -------------------------------------------------------------------------------

describe('hostile input never escapes as anything but a 401', () => {
  const all = config({ webhookSecrets: [SECRET_A, RAW_SECRET], webhookTokens: [TOKEN], basicAuth: [{ username: USER, password: PASSWORD }] });
  const names = [
    'webhook-id', 'webhook-timestamp', 'webhook-signature', 'svix-id', 'svix-timestamp', 'svix-signature',
    'x-grafana-alerting-signature', 'x-grafana-alert-signature', 'x-grafana-alerting-signature-timestamp',
    'x-grafana-alerting-timestamp', 'authorization',
  ];
  const value = fc.oneof(
    fc.string({ unit: anyCodePoint, maxLength: 80 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary-ascii', maxLength: 200 }),
    fc.constantFrom('', ' ', '\u0000', '\ud800', 'v1,', 'v1a,', 'Bearer', 'Bearer ', 'Basic ', 'Basic =', '9'.repeat(40), '-1', 'NaN'),
    fc.base64String({ maxLength: 120 }).map((b) => `v1,${b}`),
    fc.base64String({ maxLength: 120 }).map((b) => `Basic ${b}`),
    fc.string({ maxLength: 60 }).map((s) => `Bearer ${s}`),
    fc.integer({ min: -1e12, max: 1e13 }).map(String),
    fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: 64, maxLength: 64 }),
    fc.constant('x'.repeat(300_000)),
  );
  const request = fc.record({
    headers: fc.dictionary(fc.constantFrom(...names, '__proto__', 'constructor'), value, { maxKeys: 8 }),
    query: fc.dictionary(fc.constantFrom('token', 'Token', '__proto__', 'constructor', 'regionId'), value, { maxKeys: 3 }),
    body: fc.uint8Array({ maxLength: 200 }),
  });

  it('a few hundred random requests: always a 401 RequestError', () => {
    fc.assert(
      fc.property(request, ({ headers, query, body }) => {
        const err = refusal(() => authenticate({ headers, query, rawBody: Buffer.from(body), nowSeconds: NOW }, all));
        for (const v of [...Object.values(headers), ...Object.values(query)]) {
          if (v.length >= 12) expect(told(err)).not.toContain(v);
        }
      }),
      { numRuns: 400, seed: 20261124 },
    );
  });

  it('the same requests with nothing configured: always the how-to 401', () => {
    fc.assert(
      fc.property(request, ({ headers, query, body }) => {
        expect(refusal(() => authenticate({ headers, query, rawBody: Buffer.from(body) }, config())).message).toContain('WEBHOOK_TOKENS');
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it('odd runtime shapes (non-string header values, missing maps) still end in a 401', () => {
    const odd = [
      { headers: { authorization: 42, 'webhook-signature': ['v1,x'] }, query: { token: null }, rawBody: BODY },
      { headers: undefined, query: undefined, rawBody: undefined },
      { headers: Object.create(null) as Record<string, string>, query: {}, rawBody: 'text body' },
    ] as unknown as AuthInput[];
    for (const req of odd) refusal(() => authenticate(req, all));
  });
});
