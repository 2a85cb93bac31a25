import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import { standardWebhooksKey, verifyStandardWebhook } from '../shared/auth/standard-webhooks.js';
import { loadConfig } from '../shared/config.js';
import { ConfigError } from '../shared/errors.js';
import { emulator, startStack, type Stack } from './helpers/stack.js';

// Standard Webhooks as the official library (`standardwebhooks` on npm, the spec's reference
// implementation: https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md)
// signs and reads it. Every signature here is made by that library; where a case is refused, the
// library's own `verify` is asked too and must refuse it as well.

const KEY_OLD = randomBytes(32);
const KEY_NEW = randomBytes(24);
const WHSEC_OLD = `whsec_${KEY_OLD.toString('base64')}`;
const WHSEC_NEW = `whsec_${KEY_NEW.toString('base64')}`;
/** A Grafana secret: not base64 (dashes, `!`), so no Standard Webhooks key; Grafana keys with it as typed. */
const GRAFANA_ONLY = 'grafana-only-secret!';

let emu: Emulator;
let stack: Stack | undefined;

beforeAll(async () => {
  emu = await emulator();
});
afterEach(async () => {
  await stack?.close();
  stack = undefined;
  emu.reset();
});
afterAll(async () => {
  await emu.close();
});

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Headers the official library produces for `body` (one signature per webhook, `v1,…`). */
function signed(wh: Webhook, body: string, opts: { id?: string; at?: number } = {}): Record<string, string> {
  const id = opts.id ?? `msg_${randomBytes(8).toString('hex')}`;
  const at = opts.at ?? nowSeconds();
  return { 'webhook-id': id, 'webhook-timestamp': String(at), 'webhook-signature': wh.sign(id, new Date(at * 1000), body) };
}

/** Does the official library accept it? */
function libraryAccepts(secret: string, body: string, headers: Record<string, string>): boolean {
  try {
    new Webhook(secret).verify(body, headers);
    return true;
  } catch {
    return false;
  }
}

function request(invokeId: string): string {
  return JSON.stringify({ regionId: 'cn-hangzhou', invokeId, reason: 'standard webhooks' });
}

/** POSTs with only the Standard Webhooks headers (no bearer), returns status and outcome. */
async function deliver(s: Stack, body: string, headers: Record<string, string>) {
  const res = await s.post(body, { headers: { ...headers, authorization: '' } });
  return { status: res.status, outcome: res.json.data.outcome, error: res.json.data.error };
}

const seed = () => emu.seedInvocation({ instances: [{ instanceId: `i-sw${randomBytes(6).toString('hex')}`, status: 'Running' }] });
const stateOf = (invokeId: string) => emu.getInvocation(invokeId)?.instances[0].status;

describe('Standard Webhooks through the local runtime, signed by the official library', () => {
  it('valid: a whsec_ secret', async () => {
    stack = await startStack({ WEBHOOK_TOKENS: '', WEBHOOK_SECRETS: WHSEC_NEW });
    const inv = seed();
    const body = request(inv.invokeId);
    const headers = signed(new Webhook(WHSEC_NEW), body);
    expect(libraryAccepts(WHSEC_NEW, body, headers)).toBe(true);
    expect(await deliver(stack, body, headers)).toMatchObject({ status: 200, outcome: 'stopped' });
    expect(stateOf(inv.invokeId)).toBe('Stopped');
  });

  it('no prefix: a bare base64 secret is the same key, as in the library', async () => {
    const bare = KEY_NEW.toString('base64');
    stack = await startStack({ WEBHOOK_TOKENS: '', WEBHOOK_SECRETS: bare });
    const inv = seed();
    const body = request(inv.invokeId);
    // Signed by the library from the prefixed form and from the bare one: both are KEY_NEW.
    expect(await deliver(stack, body, signed(new Webhook(WHSEC_NEW), body))).toMatchObject({ status: 200, outcome: 'stopped' });
    const again = seed();
    const body2 = request(again.invokeId);
    expect(await deliver(stack, body2, signed(new Webhook(bare), body2))).toMatchObject({ status: 200, outcome: 'stopped' });
    // The old reading (the secret's UTF-8 bytes as the key) no longer verifies, and the library agrees.
    const third = seed();
    const body3 = request(third.invokeId);
    const utf8 = signed(new Webhook(Buffer.from(bare, 'utf8'), { format: 'raw' }), body3);
    expect(libraryAccepts(bare, body3, utf8)).toBe(false);
    expect((await deliver(stack, body3, utf8)).status).toBe(401);
    expect(stateOf(third.invokeId)).toBe('Running');
  });

  it('rotated: several secrets; either one signs, and a delivery carrying both signatures passes', async () => {
    stack = await startStack({ WEBHOOK_TOKENS: '', WEBHOOK_SECRETS: `${WHSEC_OLD},${WHSEC_NEW}` });
    for (const secret of [WHSEC_OLD, WHSEC_NEW]) {
      const inv = seed();
      const body = request(inv.invokeId);
      expect(await deliver(stack, body, signed(new Webhook(secret), body))).toMatchObject({ status: 200, outcome: 'stopped' });
    }
    // During rotation a sender signs with both keys: `v1,<old> v1,<new>` (spec: space-delimited).
    const inv = seed();
    const body = request(inv.invokeId);
    const id = 'msg_rotation';
    const at = nowSeconds();
    const both = [new Webhook(WHSEC_OLD), new Webhook(randomBytes(32), { format: 'raw' })].map((wh) => wh.sign(id, new Date(at * 1000), body)).join(' ');
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(at), 'webhook-signature': both };
    expect(libraryAccepts(WHSEC_OLD, body, headers)).toBe(true);
    expect(await deliver(stack, body, headers)).toMatchObject({ status: 200, outcome: 'stopped' });
  });

  it('retired: once the old secret is removed, its signatures are refused', async () => {
    stack = await startStack({ WEBHOOK_TOKENS: '', WEBHOOK_SECRETS: WHSEC_NEW });
    const inv = seed();
    const body = request(inv.invokeId);
    const res = await deliver(stack, body, signed(new Webhook(WHSEC_OLD), body));
    expect(res.status).toBe(401);
    expect(res.error?.details?.map((d) => d.path)).toContain('header webhook-signature');
    expect(stateOf(inv.invokeId)).toBe('Running');
  });

  const refused: Array<{ name: string; make: (body: string) => { body: string; headers: Record<string, string> }; path: string }> = [
    {
      name: 'tampered body',
      make: (body) => ({ body: body.replace('standard webhooks', 'standard webhookz'), headers: signed(new Webhook(WHSEC_NEW), body) }),
      path: 'header webhook-signature',
    },
    {
      name: 'tampered id',
      make: (body) => {
        const headers = signed(new Webhook(WHSEC_NEW), body, { id: 'msg_original' });
        return { body, headers: { ...headers, 'webhook-id': 'msg_replayed' } };
      },
      path: 'header webhook-signature',
    },
    { name: 'stale (10 minutes old)', make: (body) => ({ body, headers: signed(new Webhook(WHSEC_NEW), body, { at: nowSeconds() - 600 }) }), path: 'header webhook-timestamp' },
    { name: 'future (10 minutes ahead)', make: (body) => ({ body, headers: signed(new Webhook(WHSEC_NEW), body, { at: nowSeconds() + 600 }) }), path: 'header webhook-timestamp' },
    { name: 'wrong secret', make: (body) => ({ body, headers: signed(new Webhook(randomBytes(32), { format: 'raw' }), body) }), path: 'header webhook-signature' },
  ];
  for (const c of refused) {
    it(`${c.name}: 401, nothing stopped, and the library refuses it too`, async () => {
      stack = await startStack({ WEBHOOK_TOKENS: '', WEBHOOK_SECRETS: WHSEC_NEW });
      const inv = seed();
      const { body, headers } = c.make(request(inv.invokeId));
      expect(libraryAccepts(WHSEC_NEW, body, headers)).toBe(false);
      const res = await deliver(stack, body, headers);
      expect(res.status).toBe(401);
      expect(res.outcome).toBe('rejected');
      expect(res.error?.details?.map((d) => d.path)).toContain(c.path);
      expect(emu.requests({ service: 'ecs' })).toHaveLength(0);
      expect(stateOf(inv.invokeId)).toBe('Running');
    });
  }

  it('WEBHOOK_SECRETS serves Grafana too: a non-base64 entry is a Grafana secret only', async () => {
    stack = await startStack({ WEBHOOK_TOKENS: '', WEBHOOK_SECRETS: `${GRAFANA_ONLY},${WHSEC_NEW}` });
    expect(() => new Webhook(GRAFANA_ONLY)).toThrow(); // the library has no key for it either
    const inv = seed();
    const body = request(inv.invokeId);
    expect(await deliver(stack, body, signed(new Webhook(WHSEC_NEW), body))).toMatchObject({ status: 200, outcome: 'stopped' });
    // Signed by a Standard Webhooks sender that took the Grafana secret's bytes as its key: refused.
    const other = seed();
    const body2 = request(other.invokeId);
    expect((await deliver(stack, body2, signed(new Webhook(Buffer.from(GRAFANA_ONLY, 'utf8'), { format: 'raw' }), body2))).status).toBe(401);
    // Grafana's own HMAC with it (hex, keyed with the string as typed) is accepted.
    const grafana = createHmac('sha256', Buffer.from(GRAFANA_ONLY, 'utf8')).update(body2).digest('hex');
    expect(await deliver(stack, body2, { 'x-grafana-alerting-signature': grafana })).toMatchObject({ status: 200, outcome: 'stopped' });
  });
});

describe('secrets read exactly as the official library reads them', () => {
  const NOW = 1_800_000_000;
  const verifyWith = (secret: string, headers: Record<string, string>, body: string) =>
    verifyStandardWebhook({ headers, body: Buffer.from(body), secrets: [secret], nowSeconds: NOW, toleranceSeconds: 300 });
  const sign = (wh: Webhook, body: string) => ({ 'webhook-id': 'msg_p', 'webhook-timestamp': String(NOW), 'webhook-signature': wh.sign('msg_p', new Date(NOW * 1000), body) });

  // The cases its base64 decoder (@stablelib/base64) treats in its own way.
  const cases = ['', 'whsec_', 'YQ==', 'YQ', 'YWI', 'YWI=', 'YWJj', 'YWJjZA', 'YWJjZ', 'YWJj!', 'YWJj====', 'YW=j', 'YW Jj', 'YW-j', 'YW_j', 'whsec_YWJj', 'whsec_whsec_YWJj', 'WHSEC_YWJj', '////', '+/+/'];
  it.each(cases)('%j: accepted by us exactly when the library accepts it, with the same key', (secret) => {
    expectSameAsLibrary(secret);
  });

  it('random secrets over the base64 alphabet and its near misses', () => {
    const chars = fc.constantFrom(...'ABCabcxyz019+/=-_ !'.split(''));
    fc.assert(
      fc.property(fc.boolean(), fc.array(chars, { maxLength: 14 }), (prefixed, parts) => {
        expectSameAsLibrary(`${prefixed ? 'whsec_' : ''}${parts.join('')}`);
      }),
      { numRuns: 2000 },
    );
  });

  function expectSameAsLibrary(secret: string): void {
    let wh: Webhook | undefined;
    try {
      wh = new Webhook(secret);
    } catch {
      wh = undefined;
    }
    const key = standardWebhooksKey(secret);
    expect(key !== undefined, `secret ${JSON.stringify(secret)}: library ${wh ? 'accepts' : 'refuses'} it`).toBe(wh !== undefined);
    if (!wh) return;
    const body = '{"regionId":"cn-hangzhou","invokeId":"t-abc"}';
    expect(verifyWith(secret, sign(wh, body), body)?.ok).toBe(true);
    // And our key is those bytes (HMAC pads short keys with zeros, so compare with a 1 appended).
    expect(verifyWith(secret, sign(new Webhook(key!, { format: 'raw' }), body), body)?.ok).toBe(true);
    expect(verifyWith(secret, sign(new Webhook(Buffer.concat([key!, Buffer.from([1])]), { format: 'raw' }), body), body)?.ok).toBe(false);
  }

  it('a whsec_ entry the library would refuse stops start-up, naming the variable and not the secret', () => {
    const bad = 'whsec_not base64 at all!';
    let caught: unknown;
    try {
      loadConfig({ WEBHOOK_SECRETS: `${WHSEC_NEW},${bad}` });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const message = (caught as ConfigError).message;
    expect(message).toMatch(/WEBHOOK_SECRETS/);
    expect(message).toMatch(/entry 2/);
    expect(message).not.toContain('not base64 at all');
    expect(message).not.toContain(WHSEC_NEW.slice(6));
    // A bare entry that is not base64 is fine: it is a Grafana secret.
    expect(loadConfig({ WEBHOOK_SECRETS: `${GRAFANA_ONLY},${WHSEC_NEW}` }).auth.webhookSecrets).toEqual([GRAFANA_ONLY, WHSEC_NEW]);
  });
});
