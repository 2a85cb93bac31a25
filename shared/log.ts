import type { LogLevel } from './config.js';

// One JSON object per line on stdout: FC ships stdout to SLS, where each field becomes
// searchable. Redaction happens here, at the one place that writes, so no caller can
// forget it.

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Field names whose values are never written, whatever they hold. */
const SECRET_KEY = /secret|token|password|passwd|authorization|signature|credential|accesskey|cookie|external_?id/i;
const REDACTED = '[redacted]';

export type Fields = Record<string, unknown>;
export type LineWriter = (line: string) => void;

const stdout: LineWriter = (line) => {
  process.stdout.write(line);
};

export class Logger {
  /** Shared with children so a secret learnt later is scrubbed everywhere. */
  private readonly secrets: Set<string>;

  constructor(
    private readonly level: LogLevel = 'info',
    secrets: Iterable<string> | Set<string> = [],
    private readonly base: Fields = {},
    private readonly out: LineWriter = stdout,
  ) {
    this.secrets = secrets instanceof Set ? secrets : new Set([...secrets].filter((s) => s.length >= 6));
  }

  /** Values learnt at run time (STS keys, context credentials) join the scrub list. */
  addSecret(value: string | undefined): void {
    if (value && value.length >= 6) this.secrets.add(value);
  }

  child(fields: Fields): Logger {
    return new Logger(this.level, this.secrets, { ...this.base, ...fields }, this.out);
  }

  debug(msg: string, fields?: Fields): void { this.write('debug', msg, fields); }
  info(msg: string, fields?: Fields): void { this.write('info', msg, fields); }
  warn(msg: string, fields?: Fields): void { this.write('warn', msg, fields); }
  error(msg: string, fields?: Fields): void { this.write('error', msg, fields); }

  private write(level: LogLevel, msg: string, fields?: Fields): void {
    if (LEVELS[level] < LEVELS[this.level]) return;
    const record = { time: new Date().toISOString(), level, msg, ...this.base, ...fields };
    let line: string;
    try {
      line = JSON.stringify(record, (key, value: unknown) => this.redact(key, value));
    } catch {
      line = JSON.stringify({ time: record.time, level, msg, note: 'fields not serialisable' });
    }
    this.out(line + '\n');
  }

  private redact(key: string, value: unknown): unknown {
    if (key !== '' && SECRET_KEY.test(key) && value !== undefined && value !== null && typeof value !== 'boolean') {
      return REDACTED;
    }
    if (value instanceof Error) return { name: value.name, message: this.scrub(value.message) };
    if (typeof value === 'string') return this.scrub(value);
    return value;
  }

  /** Remove any known secret and anything shaped like an Authorization value from free text. */
  scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    return out
      // A credential after an auth scheme word is long, or has a capital, a digit or a base64
      // symbol; the short lower-case prose of our own messages ("the Basic credentials are …")
      // has none of these.
      .replace(/\b(Bearer|Basic|ACS3-HMAC-SHA256|acs|FC)\s+(?:[A-Za-z0-9+/=_.:,-]{16,}|(?=[A-Za-z0-9+/=_.:,-]*[A-Z0-9+/=:])[A-Za-z0-9+/=_.:,-]{8,})/g, `$1 ${REDACTED}`)
      .replace(/\b(SecurityToken|Signature|AccessKeySecret)(=|%3D)[^&\s"]+/gi, `$1$2${REDACTED}`);
  }
}
