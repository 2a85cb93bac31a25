import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { fcInvokeRoute } from '../local/invoke-api.js';
import { invoke, InvokeError, main as invokeCli } from '../scripts/invoke.js';
import { CONFIG_VARIABLES, loadConfig } from '../shared/config.js';
import { cjsDefault } from '../shared/interop.js';
import type { ResultEvent } from '../shared/types.js';
import { matches } from './helpers/event-pattern.js';
import { sharedFile } from './helpers/samples.js';
import { fakeAccessHome, S_COMPILE_CACHE_ENV, sPreview, type Preview } from './helpers/s-cli.js';
import { skipWithoutRedis, startRedis } from './helpers/redis.js';
import { startStack, type Stack } from './helpers/stack.js';
import { everyOf } from './helpers/expect.js';

// "Ship it": s.yaml as the real Serverless Devs CLI renders it (`s preview`, offline, with a
// throw-away HOME and a fake access, no `-a`: exactly what `npm run deploy` renders),
// checked against the fc3 component schema plus what the schema cannot see; the RAM policy
// files; the esbuild bundle running from a bare directory against the emulator; and the
// fc2 invoke tool against the local runtime's invoke API.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sYamlText = readFileSync(resolve(root, 's.yaml'), 'utf8');
/** s.yaml as it was with `access: ${env('S_ACCESS', 'default')}` (issue #12): must fail. */
const OLD_ACCESS_FIXTURE = resolve(root, 'test', 'fixtures', 's-yaml', 'old-access.yaml');
const schema = JSON.parse(readFileSync(sharedFile('fc3', 'schema.json'), 'utf8')) as Record<string, unknown> & {
  definitions: Record<string, unknown>;
};
const ACCOUNT = '123456789012';
const CA = resolve(root, 'emulator', 'certs', 'ca.pem');

const AjvClass = cjsDefault(Ajv);
// The fc3 schema uses no `format`, so no ajv-formats.
const ajv = new AjvClass({ strict: false, allErrors: true });
ajv.addSchema(schema, 'fc3');
const validateProps = ajv.getSchema('fc3')!;

/** Which schema definition a trigger's triggerConfig must satisfy, by triggerType. */
const TRIGGER_CONFIG: Record<string, string> = {
  http: 'IHttpTriggerConfig',
  timer: 'ITimerTriggerConfig',
  eventbridge: 'IEventBridge',
  oss: 'IOssTriggerConfig',
  log: 'ILogTriggerConfig',
  mns_topic: 'IMnsTriggerConfig',
  cdn_events: 'ICdnTriggerConfig',
  tablestore: 'IOtsConfig',
};

type Props = Record<string, unknown> & {
  triggers?: Array<{ triggerName: string; triggerType: string; triggerConfig: Record<string, unknown> }>;
  environmentVariables?: Record<string, string>;
};
type Doc = NonNullable<Preview['doc']>;

function propsOf(doc: Doc | undefined): Props {
  const fc = Object.values(doc?.resources ?? {}).filter((r) => r.component === 'fc3');
  expect(fc, 'exactly one fc3 resource').toHaveLength(1);
  return fc[0]!.props as Props;
}

/** Every string still holding a magic variable (`${…}`), by path: the CLI left it unrendered. */
function unresolved(value: unknown, path = ''): string[] {
  if (typeof value === 'string') return value.includes('${') ? [`${path || '/'}: ${value}`] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => unresolved(v, `${path}/${i}`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => unresolved(v, `${path}/${k}`));
  return [];
}

/** Every problem `s deploy` (or FC) would have with these props; empty when fine. */
function problems(props: Props): string[] {
  const out: string[] = [];
  if (!validateProps(props)) {
    for (const e of validateProps.errors ?? []) out.push(`schema ${e.instancePath || '/'} ${e.message ?? ''}`);
  }
  // The schema's triggerConfig is an anyOf that includes `{type: object}` (tablestore),
  // so any object passes it: check each config against its own type's definition.
  for (const [i, t] of (props.triggers ?? []).entries()) {
    const def = TRIGGER_CONFIG[t.triggerType];
    if (!def) continue;
    const v = ajv.compile({ $ref: `fc3#/definitions/${def}` });
    if (!v(t.triggerConfig)) for (const e of v.errors ?? []) out.push(`triggers[${i}] (${t.triggerType}) ${e.instancePath || '/'} ${e.message ?? ''}`);
  }
  // FC 3.0 instance specs: vCPU multiple of 0.05, memory multiple of 64 MB, vCPU:GB 1:1..1:4.
  const cpu = props.cpu;
  const memory = props.memorySize;
  if (typeof cpu !== 'number') out.push('cpu must be set (the fc3 default 0.35 vCPU does not fit 128 MB)');
  else if (typeof memory === 'number') {
    const gb = memory / 1024;
    if (Math.abs(cpu / 0.05 - Math.round(cpu / 0.05)) > 1e-9) out.push(`cpu ${cpu} is not a multiple of 0.05`);
    if (gb < cpu - 1e-9 || gb > 4 * cpu + 1e-9) out.push(`cpu ${cpu} with ${memory} MB is outside vCPU:memory 1:1..1:4`);
  }
  const http = (props.triggers ?? []).filter((t) => t.triggerType === 'http');
  for (const t of http) {
    if (t.triggerConfig.authType !== 'anonymous') out.push(`http trigger authType must be anonymous (the function authenticates), got ${String(t.triggerConfig.authType)}`);
    if (JSON.stringify(t.triggerConfig.methods) !== '["POST"]') out.push(`http trigger methods must be [POST], got ${JSON.stringify(t.triggerConfig.methods)}`);
  }
  const triggers = props.triggers ?? [];
  for (const [i, t] of triggers.entries()) {
    if (t.triggerType !== 'eventbridge') continue;
    // fc3 returns from its trigger loop at an unchanged eventbridge trigger on redeploy.
    if (i !== triggers.length - 1) out.push(`the eventbridge trigger must be the last trigger (is ${i + 1} of ${triggers.length}): later ones are skipped on redeploy`);
    try {
      const pattern = JSON.parse(String(t.triggerConfig.eventRuleFilterPattern)) as Record<string, unknown>;
      if (!Array.isArray(pattern.source)) out.push('eventbridge pattern needs a source list');
    } catch {
      out.push('eventbridge eventRuleFilterPattern is not JSON');
    }
  }
  for (const t of triggers.filter((x) => x.triggerType === 'timer')) {
    try {
      JSON.parse(String(t.triggerConfig.payload));
    } catch {
      out.push('timer payload is not JSON');
    }
  }
  if (props.handler !== 'index.handler') out.push(`handler must be index.handler, got ${String(props.handler)}`);
  const init = (props.instanceLifecycleConfig as { initializer?: { handler?: string; timeout?: number } } | undefined)?.initializer;
  if (init?.handler !== 'index.initialize') out.push('initializer must be index.initialize');
  if (typeof init?.timeout === 'number' && init.timeout > 300) out.push('initializer timeout over FC 3.0 300 s limit');
  return out;
}

/**
 * Everything wrong with a rendered template for a deploy: magic variables left, schema and
 * FC problems, and the code directory not holding the handler's file. `codeDir` is where
 * the build put what `props.code` would upload (the test builds outside the repository).
 */
function deployProblems(preview: Preview, codeDir: string): string[] {
  if (!preview.doc) return [`s preview failed (exit ${preview.code}): ${(preview.stdout + preview.stderr).slice(-400)}`];
  const out = unresolved(preview.doc).map((u) => `unresolved magic variable at ${u}`);
  const props = propsOf(preview.doc);
  out.push(...problems(props));
  if (resolve(root, String(props.code)) !== resolve(root, 'dist')) out.push(`code must be ./dist (what npm run build writes), got ${String(props.code)}`);
  const handlerFile = `${String(props.handler).split('.')[0]}.js`;
  if (!existsSync(resolve(codeDir, handlerFile))) out.push(`the handler file ${handlerFile} is not in the built code directory`);
  return out;
}

let sHome: { home: string; remove(): void };
/** `s preview -o json` of s.yaml in the repository, no `-a`, no deployer environment. */
let deployed: Preview;
let props: Props;

describe('s.yaml, rendered by the real Serverless Devs CLI (s preview)', () => {
  beforeAll(async () => {
    sHome = await fakeAccessHome(ACCOUNT);
    deployed = await sPreview(sHome.home);
    expect(deployed.doc, deployed.stdout + deployed.stderr).toBeDefined();
    props = propsOf(deployed.doc);
  }, 120_000);

  afterAll(() => sHome?.remove());

  it('renders completely, passes the fc3 schema and the checks it cannot make, and the handler is in the build', () => {
    expect(deployProblems(deployed, buildDir)).toEqual([]);
  });

  it('the copy with the old `access:` line fails: config(\'AccountID\') stays unrendered', async () => {
    const old = await sPreview(sHome.home, { template: OLD_ACCESS_FIXTURE });
    const found = deployProblems(old, buildDir);
    expect(found.join('\n')).toMatch(/unresolved magic variable at \/resources\/stop-invocation\/props\/role: acs:ram::\$\{config\('AccountID'\)\}/);
    expect(readFileSync(OLD_ACCESS_FIXTURE, 'utf8')).toMatch(/^access: \$\{env\('S_ACCESS', 'default'\)\}$/m);
    expect(sYamlText).not.toMatch(/^access:/m);
  });

  it('npm run deploy runs the pinned local CLI, no global install needed', async () => {
    const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { scripts: Record<string, string>; devDependencies: Record<string, string>; dependencies: Record<string, string> };
    expect(pkg.devDependencies['@serverless-devs/s']).toBe('3.1.10');
    expect(pkg.dependencies).not.toHaveProperty('@serverless-devs/s');
    expect(pkg.scripts.deploy).toBe('s deploy -y');
    // Only node's own directory and the system's on PATH: `s` can come from node_modules/.bin only.
    const npmCli = resolve(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
    const ran = await run(process.execPath, [npmCli, 'run', '--silent', 'deploy', '--', '--version'], {
      env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: sHome.home, ...S_COMPILE_CACHE_ENV },
    });
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
    expect(ran.stdout).toMatch(/@serverless-devs\/s: 3\.1\.10/);
  });

  it('is a Serverless Devs 3 project with one fc3 function', () => {
    const doc = deployed.doc!;
    expect(doc.edition).toBe('3.0.0');
    expect(doc).not.toHaveProperty('access');
    expect(props.runtime).toBe('nodejs20');
    expect(props.code).toBe('./dist');
    expect(props.region).toBe('cn-hangzhou');
    expect(props.functionName).toBe('stop-invocation');
    expect(props.role).toBe(`acs:ram::${ACCOUNT}:role/fc-stop-invocation`);
    expect(props.logConfig).toBe('auto');
    expect(props.memorySize).toBe(128);
  });

  it('the account comes from the alias: `default` without -a, another with -a <alias>', async () => {
    const other = await fakeAccessHome('999999999999', 'prod');
    try {
      // Only `prod` configured and no -a: nothing to render config() from.
      const bare = await sPreview(other.home);
      expect(unresolved(bare.doc).join('\n')).toMatch(/config\('AccountID'\)/);
      const chosen = await sPreview(other.home, { args: ['-a', 'prod'] });
      expect(deployProblems(chosen, buildDir)).toEqual([]);
      expect(propsOf(chosen.doc).role).toBe('acs:ram::999999999999:role/fc-stop-invocation');
    } finally {
      other.remove();
    }
  });

  it('builds before deploying', () => {
    const steps = (deployed.doc!.actions as Record<string, Array<{ run?: string }>> | undefined)?.['pre-deploy'] ?? [];
    expect(steps.map((s) => s.run).join(' && ')).toMatch(/npm (ci|install).*npm run build/);
  });

  it('has the three triggers: POST-only anonymous http, disabled timer sweep, eventbridge last (and says why)', () => {
    const triggers = props.triggers ?? [];
    const byType = Object.fromEntries(triggers.map((t) => [t.triggerType, t]));
    expect(Object.keys(byType).sort()).toEqual(['eventbridge', 'http', 'timer']);
    expect(triggers.at(-1)?.triggerType).toBe('eventbridge');
    expect(sYamlText).toMatch(/Keep the EventBridge trigger LAST: on a redeploy the fc3 component stops going\s+#\s*through the trigger list at an eventbridge trigger that has not changed/);
    expect(byType.http!.triggerConfig).toMatchObject({ authType: 'anonymous', methods: ['POST'] });
    // The comment above the http trigger must say why it is anonymous.
    expect(sYamlText).toMatch(/authType anonymous[\s\S]{0,200}cannot\s+#?\s*sign FC requests/);

    // Only Cloud Assistant task events of a failed run reach the function (the rollout guard);
    // checked with a matcher written from EventBridge's event-pattern docs against the
    // documented task event samples (test/fixtures/cloud-assistant/).
    const pattern = JSON.parse(String(byType.eventbridge!.triggerConfig.eventRuleFilterPattern)) as Record<string, unknown>;
    const documented = (name: string) => JSON.parse(readFileSync(resolve(root, 'test/fixtures/cloud-assistant', name), 'utf8')) as { data: Record<string, unknown> };
    const failed = documented('task-event-failed.json');
    expect(matches(pattern, failed)).toBe(true);
    for (const status of ['Error', 'Timeout', 'Invalid', 'Aborted']) expect(matches(pattern, { ...failed, data: { ...failed.data, invocationStatus: status } }), status).toBe(true);
    expect(matches(pattern, documented('task-event-success.json'))).toBe(false);
    for (const status of ['Success', 'Cancelled', 'Terminated']) expect(matches(pattern, { ...failed, data: { ...failed.data, invocationStatus: status } }), status).toBe(false);
    expect(matches(pattern, { ...failed, type: 'ecs:Instance:StateChange' })).toBe(false);
    // Custom events cannot reach a rule on the default bus; the README's custom-bus rule carries them.
    expect(matches(pattern, JSON.parse(readFileSync(sharedFile('samples', 'eventbridge-custom.json'), 'utf8')))).toBe(false);
    expect(sYamlText).not.toMatch(/ops\.rollout[^\n]*default bus|same \(default\) bus/);

    expect(byType.timer!.triggerConfig.enable).toBe(false);
    const sweep = JSON.parse(String(byType.timer!.triggerConfig.payload)) as Record<string, unknown>;
    const sample = JSON.parse(readFileSync(sharedFile('samples', 'timer-sweep.json'), 'utf8')) as { payload: string };
    expect(Object.keys(sweep).sort()).toEqual(Object.keys(JSON.parse(sample.payload) as object).sort());
    expect(sweep).toMatchObject({ action: 'sweep', regionIds: ['cn-hangzhou'] });
  });

  /** A deployer's shell with every user setting; rendered once, for the two tests that read it. */
  const CUSTOM_TOKEN = 'a-token-of-32-characters-or-more-000';
  let customRendered: Promise<Preview> | undefined;
  const customPreview = () =>
    (customRendered ??= sPreview(sHome.home, {
      env: {
        REGION: 'cn-shanghai',
        FUNCTION_NAME: 'stopper',
        FUNCTION_ROLE_NAME: 'fn-role',
        TARGET_ROLE_ARN: 'acs:ram::999999999999:role/other',
        WEBHOOK_TOKENS: CUSTOM_TOKEN,
        LOG_LEVEL: 'debug',
      },
    }));

  it('takes region, names and every user setting from the environment', async () => {
    const custom = await customPreview();
    expect(deployProblems(custom, buildDir)).toEqual([]);
    const p = propsOf(custom.doc);
    expect(p).toMatchObject({ region: 'cn-shanghai', functionName: 'stopper', role: `acs:ram::${ACCOUNT}:role/fn-role` });
    expect(p.environmentVariables).toMatchObject({
      TARGET_ROLE_ARN: 'acs:ram::999999999999:role/other',
      WEBHOOK_TOKENS: CUSTOM_TOKEN,
      ALLOWED_REGIONS: 'cn-shanghai',
      LOG_LEVEL: 'debug',
    });
    const timer = p.triggers!.find((t) => t.triggerType === 'timer')!;
    expect(JSON.parse(String(timer.triggerConfig.payload))).toMatchObject({ regionIds: ['cn-shanghai'] });
  });

  it('with WEBHOOK_SECRET_NAME no webhook secret is in the rendered output, and the rendered config authenticates through KMS', async () => {
    const secretName = 'fc-stop-invocation/webhook';
    const token = 'kms-only-token-5e4d3c2b1a0f9e8d7c6b';
    const rendered = await sPreview(sHome.home, { env: { WEBHOOK_SECRET_NAME: secretName } });
    expect(deployProblems(rendered, buildDir)).toEqual([]);
    const env = propsOf(rendered.doc).environmentVariables!;
    expect(env).toMatchObject({ WEBHOOK_SECRET_NAME: secretName, WEBHOOK_TOKENS: '', WEBHOOK_SECRETS: '', WEBHOOK_BASIC_AUTH: '' });
    expect(rendered.stdout + rendered.stderr).not.toContain(token);
    // The contrast that makes the check above mean something: a token in the environment is printed.
    const leaky = await customPreview();
    expect(leaky.stdout + leaky.stderr).toContain(CUSTOM_TOKEN);

    // The rendered environment, deployed against the emulator: the token lives only in KMS.
    emu.reset();
    emu.putSecret(secretName, JSON.stringify({ WEBHOOK_TOKENS: token }));
    // Only the emulator's endpoints and role replace what the cloud would provide.
    const stack = await startStack({ ...env, TARGET_ROLE_ARN: emu.roleArn, STS_ENDPOINT: emu.stsEndpoint, KMS_ENDPOINT: `https://${emu.kmsEndpoint}` }, { emu });
    try {
      const ok = await stack.post({ regionId: 'cn-hangzhou', instanceIds: ['i-bp1ship0000000000001'], dryRun: true }, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(stack.lines.join('')).not.toContain(token);
    } finally {
      await stack.close();
    }
  });

  it('sets every variable of shared/config.ts a deployer would set, and nothing else', () => {
    const env = props.environmentVariables!;
    // Test/emulator plumbing and the local-only switch stay out of the deployed config.
    const notDeployed = ['ALLOW_UNAUTHENTICATED', 'ECS_ENDPOINT', 'EVENTBRIDGE_ENDPOINT', 'KMS_ENDPOINT'];
    for (const name of CONFIG_VARIABLES) {
      if (notDeployed.includes(name)) expect(env, name).not.toHaveProperty(name);
      else expect(env, `${name} is missing from s.yaml environmentVariables`).toHaveProperty(name);
    }
    for (const name of Object.keys(env)) expect(CONFIG_VARIABLES, `${name} is not read by shared/config.ts`).toContain(name);
    for (const [name, value] of Object.entries(env)) expect(typeof value, name).toBe('string');
  });

  it("README's configuration table lists exactly the variables of shared/config.ts", () => {
    const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
    const start = readme.indexOf('\n## Configuration');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 5));
    // The credential library's own variables head the table; the function does not parse them.
    const names = [...section.matchAll(/^\| `([A-Z_]+)`/gm)].map((m) => m[1]).filter((n) => !n!.startsWith('ALIBABA_CLOUD_'));
    expect([...names].sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  it("defaults load through the function's own config check ('' means unset)", () => {
    const env = props.environmentVariables!;
    expect(sYamlText).not.toContain("', ' ')}");
    expect(env.WEBHOOK_TOKENS).toBe('');
    const config = loadConfig(env);
    expect(config.targetRoleArn).toBe(`acs:ram::${ACCOUNT}:role/stop-invocation-target`);
    expect(config.auth.webhookTokens).toEqual([]);
    expect(config.webhookSecretName).toBeUndefined();
    expect(config.roleExternalId).toBeUndefined();
    expect(config.resultEventBus).toBeUndefined();
    expect(config.allowedRegions).toEqual(['cn-hangzhou']);
    expect(config.stsEndpoint).toBeUndefined();
    // The function timeout leaves room for every ECS attempt plus verification.
    expect((props.timeout as number) * 1000).toBeGreaterThan(config.ecsTimeoutMs * config.ecsMaxAttempts + config.verifyGraceMs + 1000);
  });

  it('a typo in a magic variable is refused by the CLI', async () => {
    const dir = mkdtempSync(resolve(tmpdir(), 'fc-stop-s-yaml-'));
    try {
      writeFileSync(resolve(dir, 's.yaml'), sYamlText.replace('${vars.region}', '${vars.regoin}'));
      const typo = await sPreview(sHome.home, { template: resolve(dir, 's.yaml') });
      expect(typo.doc).toBeUndefined();
      expect(typo.stdout + typo.stderr).toMatch(/\$\{vars\.regoin\} not found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('broken copies fail', () => {
    const broken = (edit: (p: Record<string, any>) => void): string[] => {
      const copy = structuredClone(props) as Record<string, any>;
      edit(copy);
      return problems(copy as Props);
    };
    const trigger = (p: Record<string, any>, type: string) => (p.triggers as Array<{ triggerType: string; triggerConfig: Record<string, unknown> }>).find((t) => t.triggerType === type)!;

    it.each<[string, (p: Record<string, any>) => void, RegExp]>([
      ['wrong runtime', (p) => (p.runtime = 'nodejs21'), /runtime/],
      ['runtime of the wrong type', (p) => (p.runtime = 20), /runtime/],
      ['missing handler', (p) => delete p.handler, /handler/],
      ['memorySize as a string', (p) => (p.memorySize = '128'), /memorySize/],
      ['memorySize not a multiple of 64', (p) => (p.memorySize = 100), /memorySize/],
      ['cpu too big for 128 MB', (p) => (p.cpu = 0.35), /1:1\.\.1:4/],
      ['bad authType', (p) => (trigger(p, 'http').triggerConfig.authType = 'none'), /authType/],
      ['function authType (senders cannot sign)', (p) => (trigger(p, 'http').triggerConfig.authType = 'function'), /authType must be anonymous/],
      ['GET allowed', (p) => (trigger(p, 'http').triggerConfig.methods = ['GET', 'POST']), /methods/],
      ['eventbridge without a pattern', (p) => delete trigger(p, 'eventbridge').triggerConfig.eventRuleFilterPattern, /eventRuleFilterPattern/],
      ['eventbridge not last (fc3 skips the triggers after it)', (p) => p.triggers.unshift(p.triggers.pop()), /eventbridge trigger must be the last/],
      ['timer enable as a string', (p) => (trigger(p, 'timer').triggerConfig.enable = 'false'), /enable/],
      ['region unknown to FC', (p) => (p.region = 'mars-north-1'), /region/],
      ['numeric environment value', (p) => (p.environmentVariables.MAX_INSTANCES = 1000), /environmentVariables/],
      ['initializer renamed', (p) => (p.instanceLifecycleConfig.initializer.handler = 'index.init'), /initializer/],
    ])('%s', (_label, edit, expected) => {
      expect(broken(edit).join('\n')).toMatch(expected);
    });

    it('a handler file the build does not write', () => {
      const copy = structuredClone(deployed);
      propsOf(copy.doc).handler = 'main.handler';
      expect(deployProblems(copy, buildDir).join('\n')).toMatch(/handler file main\.js is not in the built code directory/);
    });
  });
});

describe('ram/', () => {
  const ramDir = resolve(root, 'ram');
  const policy = (file: string) => JSON.parse(readFileSync(resolve(ramDir, file), 'utf8')) as {
    Version: string;
    Statement: Array<{ Effect: string; Action: string | string[]; Resource?: string | string[]; Principal?: Record<string, string[]>; Condition?: Record<string, Record<string, string>> }>;
  };
  const actions = (file: string) => [...new Set(policy(file).Statement.flatMap((s) => [s.Action].flat()))].sort();
  const resources = (file: string) => policy(file).Statement.flatMap((s) => [s.Resource ?? []].flat());

  it('every file is a Version "1" policy of Allow statements', () => {
    const files = readdirSync(ramDir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) {
      const p = policy(f);
      expect(p.Version, f).toBe('1');
      expect(p.Statement.length, f).toBeGreaterThan(0);
      for (const s of p.Statement) expect(s.Effect, f).toBe('Allow');
    }
  });

  it('the function role is trusted by FC and may only assume the target role', () => {
    const trust = policy('function-role-trust.json').Statement;
    expect(trust).toHaveLength(1);
    expect(trust[0]).toMatchObject({ Action: 'sts:AssumeRole', Principal: { Service: ['fc.aliyuncs.com'] } });
    expect(actions('function-role-policy.json')).toEqual(['sts:AssumeRole']);
    expect(resources('function-role-policy.json')).toEqual(['acs:ram::<TARGET_ACCOUNT_ID>:role/<TARGET_ROLE_NAME>']);
  });

  it('the target role is trusted by the function role only and may only stop and read invocations', () => {
    for (const f of ['target-role-trust.json', 'target-role-trust-external-id.json']) {
      const [s] = policy(f).Statement;
      expect(s.Principal).toEqual({ RAM: ['acs:ram::<ACCOUNT_ID>:role/<FUNCTION_ROLE_NAME>'] });
      expect([s.Action].flat()).toEqual(['sts:AssumeRole']);
    }
    expect(policy('target-role-trust-external-id.json').Statement[0].Condition).toEqual({ StringEquals: { 'sts:ExternalId': '<EXTERNAL_ID>' } });
    for (const f of ['target-role-policy.json', 'target-role-policy-tagged.json']) {
      expect(actions(f), f).toEqual(['ecs:DescribeInvocations', 'ecs:StopInvocation']);
      for (const r of resources(f)) expect(r, f).toMatch(/^acs:ecs:<REGION>:<TARGET_ACCOUNT_ID>:/);
    }
    const tagged = policy('target-role-policy-tagged.json').Statement.find((s) => [s.Action].flat().includes('ecs:StopInvocation'))!;
    expect(tagged.Condition).toEqual({ StringEquals: { 'acs:ResourceTag/<TAG_KEY>': '<TAG_VALUE>' } });
    expect(actions('target-role-result-events-policy.json')).toEqual(['eventbridge:PutEvents']);
  });

  it('the function role may read exactly one KMS secret, for WEBHOOK_SECRET_NAME', () => {
    expect(actions('function-role-kms-policy.json')).toEqual(['kms:GetSecretValue']);
    expect(resources('function-role-kms-policy.json')).toEqual(['acs:kms:<REGION>:<ACCOUNT_ID>:secret/<SECRET_NAME>']);
    expect(readFileSync(resolve(ramDir, 'README.md'), 'utf8')).toContain('function-role-kms-policy.json');
  });

  it('the rendered role ARNs are what the function and s.yaml expect', () => {
    const arn = resources('function-role-policy.json')[0].replace('<TARGET_ACCOUNT_ID>', ACCOUNT).replace('<TARGET_ROLE_NAME>', 'stop-invocation-target');
    expect(loadConfig({ TARGET_ROLE_ARN: arn }).targetRoleArn).toBe(arn);
    expect(props.environmentVariables!.TARGET_ROLE_ARN).toBe(arn);
  });
});

// ---- the artefact: build, copy out, run with plain node against the emulator ----------

function run(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd ?? root, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

let emu: Emulator;
let buildDir: string;
let buildOutput: string;

beforeAll(async () => {
  emu = await startEmulator();
  buildDir = mkdtempSync(resolve(tmpdir(), 'fc-stop-build-'));
  // Exactly what `npm run build` runs, into a directory outside the repository.
  const built = await run(process.execPath, [resolve(root, 'scripts', 'build.mjs'), '--outdir', buildDir]);
  buildOutput = built.stdout + built.stderr;
  if (built.code !== 0) throw new Error(`build failed:\n${buildOutput}`);
}, 120_000);

afterAll(async () => {
  await emu?.close();
  if (buildDir) rmSync(buildDir, { recursive: true, force: true });
});

describe('the bundle (npm run build)', () => {
  it('is a loader, one bundle + source map + V8 code cache, package.json, under the size budget, and reports its size', () => {
    expect(readdirSync(buildDir).sort()).toEqual([
      'deferred.chunk.js',
      'deferred.chunk.js.map',
      'function.js',
      'function.js.cache',
      'function.js.map',
      'index.js',
      'package.json',
      'redis.chunk.js',
      'redis.chunk.js.map',
      'sink.chunk.js',
      'sink.chunk.js.map',
    ]);
    expect(JSON.parse(readFileSync(resolve(buildDir, 'package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
    const code = readFileSync(resolve(buildDir, 'function.js'), 'utf8');
    const js = readdirSync(buildDir).filter((f) => f.endsWith('.js'));
    expect(js.reduce((n, f) => n + statSync(resolve(buildDir, f)).size, 0)).toBeLessThanOrEqual(1024 * 1024);
    // The EventBridge SDK is its own chunk, loaded only when RESULT_EVENT_BUS is set.
    expect(code).not.toContain('putEventsWithOptions');
    expect(readFileSync(resolve(buildDir, 'sink.chunk.js'), 'utf8')).toContain('putEventsWithOptions');
    // So is the Redis client, loaded only when REDIS_URL is set.
    expect(code).not.toContain('enableOfflineQueue');
    expect(readFileSync(resolve(buildDir, 'redis.chunk.js'), 'utf8')).toContain('enableOfflineQueue');
    // The unused WebSocket client of @darabonba/typescript is stubbed, not bundled (the
    // next test runs the bundle for real, so the stub is never reached).
    expect(code).not.toContain('Sec-WebSocket-Key');
    expect(code).toContain('is not bundled: fc-stop-invocation makes no WebSocket calls');
    expect(buildOutput).toMatch(/\*\.js\s+\d+(\.\d+)? kB \(gzip \d+(\.\d+)? kB\), of which start-up reads index\.js \+ function\.js \d+(\.\d+)? kB/);
    expect(JSON.parse(readFileSync(resolve(buildDir, 'function.js.map'), 'utf8'))).toHaveProperty('mappings');
  });

  it('loads the bundle from its V8 code cache when V8 accepts it, and compiles it when V8 does not', async () => {
    // As FC starts it: with s.yaml's NODE_OPTIONS line, if any (build.mjs makes the cache under it).
    const nodeOptions = /^\s*NODE_OPTIONS:\s*['"]?(.*?)['"]?\s*$/m.exec(readFileSync(resolve(root, 's.yaml'), 'utf8'))?.[1];
    const probe = (dir: string) =>
      run(process.execPath, ['-e', "const m = require('./index.js'); console.log(JSON.stringify([m.codeCache, typeof m.handler, Object.keys(m)]))"], {
        cwd: dir,
        env: bareEnv(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
      });
    // Made by this node at build time: same V8, same flags.
    const same = await probe(buildDir);
    expect(same.code, same.stderr).toBe(0);
    expect(JSON.parse(same.stdout)).toEqual(['accepted', 'function', ['handler', 'initialize']]);
    // A cache V8 refuses (another V8 build or other flags look the same to the loader): compiled as usual.
    const copy = mkdtempSync(resolve(tmpdir(), 'fc-stop-cache-'));
    try {
      cpSync(buildDir, copy, { recursive: true });
      writeFileSync(resolve(copy, 'function.js.cache'), Buffer.alloc(4096, 7));
      const refused = await probe(copy);
      expect(refused.code, refused.stderr).toBe(0);
      expect(JSON.parse(refused.stdout)).toEqual(['rejected', 'function', ['handler', 'initialize']]);
      rmSync(resolve(copy, 'function.js.cache'));
      const none = await probe(copy);
      expect(JSON.parse(none.stdout)).toEqual(['absent', 'function', ['handler', 'initialize']]);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  /**
   * test/fixtures/startup-probe.ts built with the production settings into a temp directory,
   * once for the two tests below, run from there with no node_modules. No code cache: making
   * one runs the probe once more, and what is deferred or lazy does not depend on it.
   */
  let probeDir: string | undefined;
  let probeBuilt: Promise<string> | undefined;
  const startupProbe = () =>
    (probeBuilt ??= (async () => {
      const dir = (probeDir = mkdtempSync(resolve(tmpdir(), 'fc-stop-invocation-probe-')));
      const built = await run(process.execPath, [resolve(root, 'scripts', 'build.mjs'), '--outdir', dir, '--entry', 'test/fixtures/startup-probe.ts', '--quiet', '--no-code-cache']);
      expect(built.code, built.stderr).toBe(0);
      return dir;
    })());
  afterAll(() => {
    if (probeDir) rmSync(probeDir, { recursive: true, force: true });
  });

  it('defers lodash, moment, xml2js, zlib and child_process without changing what their users do', async () => {
    const probeDir = await startupProbe();
    const { code: exit, stdout, stderr } = await run(process.execPath, ['index.js', 'deferred'], { cwd: probeDir, env: bareEnv() });
    expect(stderr).toBe('');
    expect(exit).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      merge: { a: 1, b: 2, n: { x: 1, y: 2 } },
      year: 2026,
      day: '2026-11-24',
      xml: expect.stringMatching(/<a><b>1<\/b><\/a>/),
      parsed: { r: { v: '7' } },
      gunzip: { zipped: true },
      external: '42',
      gzipBody: { decoded: true },
    });
    // Out of the start-up parse: the real modules live in the deferred chunk (each marker
    // is checked on both sides, so a marker that is nowhere cannot pass for deferred).
    const startup = readFileSync(resolve(probeDir, 'function.js'), 'utf8');
    const deferred = readFileSync(resolve(probeDir, 'deferred.chunk.js'), 'utf8');
    // xmlbuilder, sax (xml2js), lodash, moment: strings from each library's own source.
    for (const marker of ['Missing CDATA text', 'Non-whitespace before first tag', '__lodash_hash_undefined__', 'recognized RFC2822']) {
      expect(startup.includes(marker), `${marker} in function.js`).toBe(false);
      expect(deferred.includes(marker), `${marker} in deferred.chunk.js`).toBe(true);
    }
  });

  it('evaluates debug and the SDKs\' WebSocket modules on first use without changing what their users see', async () => {
    const out = await startupProbe();
    const startup = readFileSync(resolve(out, 'function.js'), 'utf8');
    // The real modules are still in function.js (they share modules with it), evaluated on first use.
    expect(startup).toContain('getWebSocketPingInterval');
    expect(startup).toContain('process.env.DEBUG');
    // What the real modules export, as the test process loads them from node_modules.
    const requireReal = createRequire(resolve(root, 'package.json'));
    const kinds = (o: Record<string, unknown>) => Object.fromEntries(Object.keys(o).sort().map((k) => [k, typeof o[k]]));
    const realDara = kinds(requireReal('@darabonba/typescript') as Record<string, unknown>);
    const realUtils = kinds(requireReal('@alicloud/openapi-core').websocketUtils as Record<string, unknown>);
    const quiet = await run(process.execPath, ['index.js', 'lazy'], { cwd: out, env: bareEnv() });
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(JSON.parse(quiet.stdout)).toEqual({ body: 'ok', dara: realDara, utils: realUtils, awap: 'awap' });
    // Without DEBUG the loggers are silent; with it, the real `debug` writes as it always did.
    expect(quiet.stderr).toBe('');
    const loud = await run(process.execPath, ['index.js', 'lazy'], { cwd: out, env: bareEnv({ DEBUG: 'httpx:*' }) });
    expect(loud.code, loud.stderr).toBe(0);
    expect(loud.stderr).toMatch(/httpx:header > GET \/ HTTP\/1\.1/);
    expect(loud.stderr).toMatch(/httpx:header < HTTP\/1\.1 200 OK/);
  });

  it('exports the FC entry points named in s.yaml (handler index.handler, initializer index.initialize)', async () => {
    const [file, handler] = String(props.handler).split('.');
    const initializer = (props.instanceLifecycleConfig as { initializer: { handler: string } }).initializer.handler.split('.')[1];
    expect(resolve(root, String(props.code))).toBe(resolve(root, 'dist'));
    const { code, stdout } = await run(process.execPath, ['-e', `const m = require('./${file}.js'); console.log(JSON.stringify(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, typeof v]))))`], {
      cwd: buildDir,
      env: bareEnv(),
    });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ [handler]: 'function', [initializer]: 'function' });
  });

  it('runs with plain node and no node_modules, answering an HTTP trigger event against the emulator', async () => {
    const runDir = mkdtempSync(resolve(tmpdir(), 'fc-stop-run-'));
    try {
      cpSync(buildDir, runDir, { recursive: true });
      expect(existsSync(resolve(runDir, 'node_modules'))).toBe(false);
      const seeded = emu.seedInvocation({
        regionId: 'cn-hangzhou',
        commandName: 'bundle-test.sh',
        instances: [
          { instanceId: 'i-bp1bundle00000000001', status: 'Running' },
          { instanceId: 'i-bp1bundle00000000002', status: 'Running' },
        ],
      });
      // The FC 3.0 HTTP trigger event from the samples, carrying a request for the seeded invocation.
      const event = JSON.parse(readFileSync(sharedFile('samples', 'fc-http-event.json'), 'utf8')) as Record<string, any>;
      event.body = JSON.stringify({ regionId: 'cn-hangzhou', invokeId: seeded.invokeId, instanceIds: seeded.instances.map((i) => i.instanceId), reason: 'ship test' });
      event.headers.Authorization = 'Bearer ship-test-token-0123456789abcdef';
      writeFileSync(resolve(runDir, 'event.json'), JSON.stringify(event));
      writeFileSync(
        resolve(runDir, 'driver.cjs'),
        [
          "const fn = require('./index.js');",
          "const event = require('fs').readFileSync(__dirname + '/event.json');",
          "const context = { requestId: 'req-ship', region: 'cn-hangzhou', accountId: process.env.FC_ACCOUNT_ID, function: { name: 'stop-invocation', timeout: 30 } };",
          '(async () => {',
          '  await fn.initialize(context);',
          '  const res = await fn.handler(event, context);',
          "  process.stdout.write('\\nRESULT ' + JSON.stringify(res) + '\\n');",
          '})().catch((e) => { console.error(e); process.exit(1); });',
        ].join('\n'),
      );
      const { code, stdout, stderr } = await run(process.execPath, ['driver.cjs'], {
        cwd: runDir,
        env: bareEnv({
          ECS_ENDPOINT: `http://${emu.ecsEndpoint}`,
          STS_ENDPOINT: emu.stsEndpoint,
          ALIBABA_CLOUD_ACCESS_KEY_ID: emu.keys.accessKeyId,
          ALIBABA_CLOUD_ACCESS_KEY_SECRET: emu.keys.accessKeySecret,
          TARGET_ROLE_ARN: emu.roleArn,
          WEBHOOK_TOKENS: 'ship-test-token-0123456789abcdef',
          NODE_EXTRA_CA_CERTS: CA,
          ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
          ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true',
          VERIFY_GRACE_MS: '300',
          FC_ACCOUNT_ID: emu.accountId,
          // Exercises @alicloud/eventbridge inside the bundle (its CJS default export).
          RESULT_EVENT_BUS: 'ship-bus',
          EVENTBRIDGE_ENDPOINT: `http://${emu.eventBridgeEndpoint}`,
        }),
      });
      expect(code, stderr).toBe(0);
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      expect(line, stdout + stderr).toBeDefined();
      const response = JSON.parse(line!.slice('RESULT '.length)) as { statusCode: number; body: string };
      expect(response.statusCode, response.body).toBe(200);
      const body = JSON.parse(response.body) as ResultEvent;
      expect(body.data.outcome).toBe('stopped');
      expect(body.data.targets.map((t) => t.status)).toEqual(['stopped', 'stopped']);
      expect(emu.getInvocation(seeded.invokeId)?.invocationStatus).toBe('Stopped');
      // Through the target role: AssumeRole over https (NODE_EXTRA_CA_CERTS), then STS-keyed ECS calls.
      expect(emu.requests({ service: 'sts', action: 'AssumeRole' }).length).toBeGreaterThan(0);
      const stops = emu.requests({ service: 'ecs', action: 'StopInvocation' }).filter((r) => r.params.InvokeId === seeded.invokeId);
      expect(stops.length).toBeGreaterThan(0);
      expect(everyOf(stops, (r) => r.securityToken && r.signatureValid)).toBe(true);
      // The result event was also published to EventBridge.
      expect(emu.events().map((e) => (e as { id?: string }).id)).toContain(body.id);
      // Logs are JSON lines with no secrets.
      expect(stdout).toContain('"stop-invocation result"');
      expect(stdout + stderr).not.toContain(emu.keys.accessKeySecret);
      expect(stdout + stderr).not.toContain('ship-test-token-0123456789abcdef');
    } finally {
      rmSync(runDir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(skipWithoutRedis('ship.test.ts (shared store)'))('the bundle with a shared store (REDIS_URL)', () => {
  it('loads redis.chunk.js from a bare directory and dedupes through the server', async () => {
    const redis = await startRedis();
    const runDir = mkdtempSync(resolve(tmpdir(), 'fc-stop-run-redis-'));
    try {
      cpSync(buildDir, runDir, { recursive: true });
      const seeded = emu.seedInvocation({ regionId: 'cn-hangzhou', instances: [{ instanceId: 'i-bp1bundleredis000001', status: 'Running' }] });
      const event = JSON.parse(readFileSync(sharedFile('samples', 'fc-http-event.json'), 'utf8')) as Record<string, any>;
      event.body = JSON.stringify({ regionId: 'cn-hangzhou', invokeId: seeded.invokeId });
      event.headers.Authorization = 'Bearer ship-test-token-0123456789abcdef';
      event.headers['Idempotency-Key'] = 'ship-redis-1';
      writeFileSync(resolve(runDir, 'event.json'), JSON.stringify(event));
      writeFileSync(
        resolve(runDir, 'driver.cjs'),
        [
          "const fn = require('./index.js');",
          "const event = require('fs').readFileSync(__dirname + '/event.json');",
          "const context = { requestId: 'req-ship', region: 'cn-hangzhou', accountId: '1', function: { name: 'stop-invocation', timeout: 30 } };",
          '(async () => {',
          '  await fn.initialize(context);',
          '  const out = [];',
          '  for (let i = 0; i < 2; i++) out.push(JSON.parse((await fn.handler(event, context)).body).data);',
          "  process.stdout.write('\\nRESULT ' + JSON.stringify(out.map((d) => [d.outcome, d.dedupe])) + '\\n');",
          '  process.exit(0);',
          '})().catch((e) => { console.error(e); process.exit(1); });',
        ].join('\n'),
      );
      const { code, stdout, stderr } = await run(process.execPath, ['driver.cjs'], {
        cwd: runDir,
        env: bareEnv({
          ECS_ENDPOINT: `http://${emu.ecsEndpoint}`,
          STS_ENDPOINT: emu.stsEndpoint,
          ALIBABA_CLOUD_ACCESS_KEY_ID: emu.keys.accessKeyId,
          ALIBABA_CLOUD_ACCESS_KEY_SECRET: emu.keys.accessKeySecret,
          WEBHOOK_TOKENS: 'ship-test-token-0123456789abcdef',
          NODE_EXTRA_CA_CERTS: CA,
          ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
          ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true',
          VERIFY_GRACE_MS: '300',
          REDIS_URL: redis.url,
        }),
      });
      expect(code, stderr).toBe(0);
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      expect(JSON.parse(line!.slice('RESULT '.length))).toEqual([
        ['stopped', 'shared'],
        ['duplicate', 'shared'],
      ]);
    } finally {
      rmSync(runDir, { recursive: true, force: true });
      await redis.stop();
    }
  });
});

/** A minimal environment for child processes: no NODE_PATH, NODE_OPTIONS or test runner state. */
function bareEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', TZ: 'UTC', ...extra };
}

// ---- scripts/invoke.ts: @alicloud/fc2 against the local runtime's invoke API -----------

describe('npm run invoke (fc2 through the local runtime)', () => {
  let stack: Stack;
  const direct = sharedFile('samples', 'direct.json');
  const request = JSON.parse(readFileSync(direct, 'utf8')) as { invokeId: string; instanceIds: string[]; regionId: string };

  beforeAll(async () => {
    // The local FC runtime with the 2016-08-15 invoke route, over a FunctionInstance against the emulator.
    stack = await startStack(
      { DEDUPE_TTL_SECONDS: '0' },
      { emu, routes: [fcInvokeRoute({ accessKeySecretFor: (ak) => (ak === emu.keys.accessKeyId ? emu.keys.accessKeySecret : undefined) })] },
    );
  });

  afterAll(async () => {
    await stack?.close();
  });

  const seed = () =>
    emu.seedInvocation({
      invokeId: request.invokeId,
      regionId: request.regionId,
      instances: request.instanceIds.map((instanceId) => ({ instanceId, status: 'Running' as const })),
    });

  const base = () => ({
    service: 'default',
    functionName: 'stop-invocation',
    region: 'cn-hangzhou',
    accountId: emu.accountId,
    endpoint: stack.local.url,
    credentials: { accessKeyId: emu.keys.accessKeyId, accessKeySecret: emu.keys.accessKeySecret },
  });

  it('invokes synchronously with samples/direct.json and gets the result event back', async () => {
    emu.reset();
    seed();
    const result = await invoke({ ...base(), payload: readFileSync(direct) });
    expect(result).toMatchObject({ status: 200, async: false });
    expect(result.requestId).toBeTruthy();
    const event = result.result as ResultEvent;
    expect(event.type).toBe('fc-stop-invocation.result');
    expect(event.data).toMatchObject({ outcome: 'stopped', trigger: 'event', source: 'direct' });
    expect(event.data.targets).toHaveLength(request.instanceIds.length);
    expect(emu.getInvocation(request.invokeId)?.invocationStatus).toBe('Stopped');
  });

  it('invokes asynchronously: 202 at once, the stop happens after', async () => {
    emu.reset();
    seed();
    const result = await invoke({ ...base(), payload: readFileSync(direct), async: true });
    expect(result).toMatchObject({ status: 202, async: true });
    const deadline = Date.now() + 10_000;
    while (emu.getInvocation(request.invokeId)?.invocationStatus !== 'Stopped' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(emu.getInvocation(request.invokeId)?.invocationStatus).toBe('Stopped');
  });

  it('a wrong secret gets 403 SignatureNotMatch with a hint', async () => {
    const err = await invoke({ ...base(), payload: '{}', credentials: { accessKeyId: emu.keys.accessKeyId, accessKeySecret: 'not-the-secret' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvokeError);
    expect(err).toMatchObject({ status: 403, code: 'SignatureNotMatch' });
    expect((err as InvokeError).hint).toMatch(/ACCESS_KEY_SECRET/);
  });

  it('the CLI is a thin wrapper: prints the result JSON, exit codes 0/1/2', async () => {
    emu.reset();
    seed();
    const out: string[] = [];
    const err: string[] = [];
    const io = (env: NodeJS.ProcessEnv) => ({ out: { write: (s: string) => out.push(s) }, err: { write: (s: string) => err.push(s) }, env }) as unknown as Parameters<typeof invokeCli>[1];
    const env = { ...process.env, FC_ACCOUNT_ID: emu.accountId };
    expect(await invokeCli(['--', '--payload', direct, '--endpoint', stack.local.url], io(env))).toBe(0);
    expect(JSON.parse(out.join('')) as { result: ResultEvent }).toMatchObject({ status: 200, result: { data: { outcome: 'stopped' } } });

    out.length = 0;
    expect(await invokeCli(['--payload', direct, '--endpoint', stack.local.url], io({ ...env, ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'wrong' }))).toBe(1);
    expect(err.join('')).toMatch(/SignatureNotMatch \(HTTP 403\)[\s\S]*hint:/);

    err.length = 0;
    expect(await invokeCli(['--payload', direct], io({ PATH: process.env.PATH }))).toBe(2);
    expect(err.join('')).toMatch(/account id is required/);
    err.length = 0;
    expect(await invokeCli(['--payload', '/nonexistent.json', '--account', '1'], io(env))).toBe(2);
    expect(err.join('')).toMatch(/cannot read the payload/);
  });
});
