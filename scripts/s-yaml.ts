import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';

// Offline reading of s.yaml the way Serverless Devs v3 renders it, for the ship test and
// for anyone who wants to see what `s deploy` would send (`tsx scripts/s-yaml.ts`).
//
// Serverless Devs evaluates each `${…}` as a small expression (art-template) with
// `env(name[, default])`, `config(name)` and `vars.*` in scope, and refuses one that
// renders to nothing ("… not found"). This resolver accepts the subset s.yaml uses:
// string literals, `+`, `env()`, `config()` and dotted `vars.` paths; anything else is an
// error, so a typo shows up here instead of during a deploy.

export interface ResolveContext {
  /** Stands in for the deployer's environment; default: none set (every default applies). */
  env?: Record<string, string | undefined>;
  /** `s config` values, e.g. `{ AccountID: '123456789012' }`. */
  config?: Record<string, string>;
}

export interface SYaml {
  edition: string;
  name?: string;
  access?: string;
  vars?: Record<string, unknown>;
  actions?: Record<string, Array<{ run?: string; path?: string }>>;
  resources: Record<string, { component: string; props: Record<string, unknown>; actions?: unknown }>;
  [key: string]: unknown;
}

export class MagicVariableError extends Error {
  constructor(readonly magic: string, message: string) {
    super(`${magic}: ${message}`);
    this.name = 'MagicVariableError';
  }
}

const MAGIC = /\$\{([\s\S]*?)\}/g;

/** Parse and render an s.yaml text. Throws MagicVariableError for what `s` would refuse. */
export function resolveSYaml(text: string, context: ResolveContext = {}): SYaml {
  const raw = parse(text) as Record<string, unknown>;
  if (raw === null || typeof raw !== 'object') throw new Error('s.yaml is not a YAML mapping');
  const env = context.env ?? {};
  const config = context.config ?? {};

  const rawVars = (raw.vars ?? {}) as Record<string, unknown>;
  const vars: Record<string, unknown> = {};
  const resolving = new Set<string>();
  const varValue = (name: string): unknown => {
    if (name in vars) return vars[name];
    if (!(name in rawVars)) throw new Error(`vars.${name} is not defined`);
    if (resolving.has(name)) throw new Error(`vars.${name} refers to itself`);
    resolving.add(name);
    vars[name] = render(rawVars[name], scope);
    resolving.delete(name);
    return vars[name];
  };
  const scope: Scope = {
    env: (name, fallback) => {
      const value = env[name];
      if (value) return value;
      if (fallback !== undefined) return fallback;
      throw new Error(`env('${name}') not found`);
    },
    config: (name) => {
      const value = config[name];
      if (value) return value;
      throw new Error(`config('${name}') not found`);
    },
    vars: varValue,
  };
  for (const name of Object.keys(rawVars)) varValue(name);

  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) out[key] = key === 'vars' ? vars : render(value, scope);
  return out as SYaml;
}

export function loadSYaml(path: string, context: ResolveContext = {}): SYaml {
  return resolveSYaml(readFileSync(path, 'utf8'), context);
}

interface Scope {
  env(name: string, fallback?: string): string;
  config(name: string): string;
  vars(name: string): unknown;
}

function render(value: unknown, scope: Scope): unknown {
  if (typeof value === 'string') return renderString(value, scope);
  if (Array.isArray(value)) return value.map((v) => render(v, scope));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v, scope)]));
  }
  return value;
}

function renderString(text: string, scope: Scope): unknown {
  const whole = /^\$\{([\s\S]*?)\}$/.exec(text);
  if (whole && !whole[1].includes('${')) return evaluate(text, whole[1], scope);
  return text.replace(MAGIC, (magic, expr: string) => String(evaluate(magic, expr, scope)));
}

/** Evaluates one magic variable; like `s`, a result that is empty is an error. */
function evaluate(magic: string, expr: string, scope: Scope): unknown {
  let value: unknown;
  try {
    value = new Parser(expr, scope).parseAll();
  } catch (err) {
    throw new MagicVariableError(magic, err instanceof Error ? err.message : String(err));
  }
  if (typeof value === 'boolean' || value) return value;
  throw new MagicVariableError(magic, 'not found (renders to an empty value, which Serverless Devs refuses)');
}

/** expr := term ('+' term)* ; term := 'str' | "str" | name '(' args ')' | vars.path */
class Parser {
  private pos = 0;
  constructor(private readonly src: string, private readonly scope: Scope) {}

  parseAll(): unknown {
    const value = this.expr();
    this.space();
    if (this.pos !== this.src.length) throw new Error(`unexpected '${this.src.slice(this.pos)}'`);
    return value;
  }

  private expr(): unknown {
    let value = this.term();
    for (;;) {
      this.space();
      if (this.src[this.pos] !== '+') return value;
      this.pos++;
      value = String(value) + String(this.term());
    }
  }

  private term(): unknown {
    this.space();
    const c = this.src[this.pos];
    if (c === "'" || c === '"') return this.string(c);
    const name = this.identifier();
    this.space();
    if (this.src[this.pos] === '(') {
      this.pos++;
      const args: unknown[] = [];
      this.space();
      if (this.src[this.pos] !== ')') {
        for (;;) {
          args.push(this.expr());
          this.space();
          if (this.src[this.pos] === ',') {
            this.pos++;
            continue;
          }
          break;
        }
      }
      if (this.src[this.pos] !== ')') throw new Error(`expected ')' in ${name}(…)`);
      this.pos++;
      const str = (v: unknown, what: string) => {
        if (typeof v !== 'string') throw new Error(`${name}(): ${what} must be a string`);
        return v;
      };
      if (name === 'env' && (args.length === 1 || args.length === 2)) {
        return this.scope.env(str(args[0], 'the name'), args.length === 2 ? str(args[1], 'the default') : undefined);
      }
      if (name === 'config' && args.length === 1) return this.scope.config(str(args[0], 'the key'));
      throw new Error(`${name}() with ${args.length} argument(s) is not supported here`);
    }
    if (name !== 'vars') throw new Error(`'${name}' is not supported (use env(), config() or vars.*)`);
    const path: string[] = [];
    while (this.src[this.pos] === '.') {
      this.pos++;
      path.push(this.identifier());
    }
    if (path.length === 0) throw new Error('vars needs a property');
    let value = this.scope.vars(path[0]);
    for (const key of path.slice(1)) {
      if (value === null || typeof value !== 'object' || !(key in value)) throw new Error(`vars.${path.join('.')} is not defined`);
      value = (value as Record<string, unknown>)[key];
    }
    return value;
  }

  private string(quote: string): string {
    let out = '';
    this.pos++;
    while (this.pos < this.src.length && this.src[this.pos] !== quote) {
      if (this.src[this.pos] === '\\') this.pos++;
      out += this.src[this.pos++];
    }
    if (this.src[this.pos] !== quote) throw new Error('unterminated string');
    this.pos++;
    return out;
  }

  private identifier(): string {
    const m = /^[A-Za-z_$][\w$]*/.exec(this.src.slice(this.pos));
    if (!m) throw new Error(`unexpected '${this.src.slice(this.pos) || 'end'}'`);
    this.pos += m[0].length;
    return m[0];
  }

  private space(): void {
    while (/\s/.test(this.src[this.pos] ?? '')) this.pos++;
  }
}

// `tsx scripts/s-yaml.ts [s.yaml]`: print the rendered document (AccountID from
// FC_ACCOUNT_ID / ALIBABA_CLOUD_ACCOUNT_ID, else a placeholder).
const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (isMain) {
  const file = process.argv[2] ?? 's.yaml';
  const accountId = process.env.FC_ACCOUNT_ID ?? process.env.ALIBABA_CLOUD_ACCOUNT_ID ?? '<AccountID>';
  try {
    process.stdout.write(JSON.stringify(loadSYaml(file, { env: process.env, config: { AccountID: accountId } }), null, 2) + '\n');
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
