
// One JSON object per line on stdout: FC ships stdout to SLS, where each field becomes
// searchable. Redaction happens here, at the one place that writes, so no caller can
// forget it.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** What makes a name credential-like: a field, a header, a query parameter. */
const CREDENTIAL_WORDS = 'secret|token|password|passwd|signature|authorization|credential|accesskey|cookie|external_?id';
/** Auth scheme words a credential follows (`Authorization: Bearer …`). */
const SCHEMES = 'Bearer|Basic|ACS3-HMAC-SHA256|acs|FC';
/** Field names whose values are never written, whatever they hold. */
const SECRET_KEY = new RegExp(CREDENTIAL_WORDS, 'i');
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
    if (Buffer.byteLength(line) > MAX_LINE_BYTES) line = truncated(line, record.time, level, msg);
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
    // Most values are ids, counts and our own prose: none of the patterns below can match them.
    if (!MAY_HOLD_CREDENTIAL.test(out)) return out;
    return out
      // A credential after an auth scheme word is long, or has a capital, a digit or a base64
      // symbol; the short lower-case prose of our own messages ("the Basic credentials are …")
      // has none of these.
      .replace(SCHEME_FORM, `$1 ${REDACTED}`)
      // JSON, also quoted inside another string: "AccessKeySecret":"…" (a truncated value runs to the end).
      .replace(JSON_FORM, (_m, q1: string, name: string, q2: string, q3: string) => `${q1}"${name}${q2}":${q3}"${REDACTED}`)
      // Header: x-acs-security-token: …, Authorization: … (to the end of the line or field).
      .replace(HEADER_FORM, (_m, lead: string, name: string) => `${lead}${name}: ${REDACTED}`)
      // key=value and URLs: ?Signature=…&SecurityToken=…
      .replace(PAIR_FORM, (_m, name: string, eq: string) => `${name}${eq}${REDACTED}`);
  }
}

/** Names of credential-like fields, as they appear in keys, headers and query strings. */
const NAME = String.raw`[A-Za-z0-9_.-]*(?:${CREDENTIAL_WORDS})[A-Za-z0-9_.-]*`;
const SCHEME_FORM = new RegExp(String.raw`\b(${SCHEMES})\s+(?:[A-Za-z0-9+/=_.:,-]{16,}|(?=[A-Za-z0-9+/=_.:,-]*[A-Z0-9+/=:])[A-Za-z0-9+/=_.:,-]{8,})`, 'g');
const JSON_FORM = new RegExp(String.raw`(\\?)"(${NAME})(\\?)"\s*:\s*(\\?)"(?:[^"\\]|\\(?!"))*`, 'gi');
const HEADER_FORM = new RegExp(String.raw`(^|[\s{,;(])(${NAME}):[ \t]*(?!(?:${SCHEMES}) \[redacted\])[^\s<\[",;}][^\r\n",;}]*`, 'gim');
const PAIR_FORM = new RegExp(String.raw`\b(${NAME})(=|%3D)(?![<\[])[^&\s"',;]+`, 'gi');

/**
 * What every pattern in `scrub` needs somewhere in the text (case aside): a credential-like
 * name (NAME), or an auth scheme word before a space. Text with none of them is left as it is.
 */
const MAY_HOLD_CREDENTIAL = new RegExp(String.raw`${CREDENTIAL_WORDS}|\b(?:${SCHEMES})\s`, 'i');

/** FC ships each stdout line to SLS, which caps a log entry; a longer record is cut with a marker. */
export const MAX_LINE_BYTES = 64 * 1024;

/** Still one JSON object: the head of the original line as text, and how long it was. */
function truncated(line: string, time: string, level: LogLevel, msg: string): string {
  // Re-quoting can triple a character's bytes (a UTF-8 character, an escaped quote), so a
  // third of the cap in characters always fits.
  const head = line.slice(0, Math.floor((MAX_LINE_BYTES - 1024) / 3));
  return JSON.stringify({ time, level, msg, truncated: true, originalBytes: Buffer.byteLength(line), head: `${head}…[truncated]` });
}
