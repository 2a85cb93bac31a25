import { round, type Spread } from './stats.js';

// The figures every stage produces, judged against the targets, printed as a
// table and as one machine-readable line: `BENCH_JSON {...}`.

export interface Target {
  op: '<=' | '>=' | '==';
  limit: number;
  /** Judge the worst run (max for <=, min for >=, every run for ==) instead of the median. */
  worst?: boolean;
}

export interface Figure {
  stage: string;
  /** Stable machine key, e.g. `cold.bundle_ms`. */
  key: string;
  label: string;
  unit: string;
  value: Spread;
  target?: Target;
  note?: string;
  /** Not measured on this machine, and why (value is then meaningless). */
  skipped?: string;
}

export interface Judged extends Figure {
  met?: boolean;
}

export function judge(f: Figure): Judged {
  if (!f.target || f.skipped) return f;
  const { op, limit, worst } = f.target;
  if (op === '==') return { ...f, met: worst ? f.value.min === limit && f.value.max === limit : f.value.median === limit };
  const v = worst ? (op === '>=' ? f.value.min : f.value.max) : f.value.median;
  const met = op === '<=' ? v <= limit : v >= limit;
  return { ...f, met };
}

function fmt(x: number, unit: string): string {
  if (unit === 'bytes') return x >= 1024 * 1024 ? `${(x / 1024 / 1024).toFixed(2)}M` : x >= 1024 ? `${(x / 1024).toFixed(1)}k` : String(x);
  if (Number.isInteger(x) || Math.abs(x) >= 100) return String(Math.round(x));
  return Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2);
}

export function table(figures: Judged[]): string {
  const rows = [['stage', 'figure', 'unit', 'median', 'min', 'max', 'n', 'target', 'status']];
  for (const f of figures) {
    const t = f.target ? `${f.target.op} ${fmt(f.target.limit, f.unit)}${f.target.worst ? ' (worst)' : ''}` : '';
    if (f.skipped) {
      rows.push([f.stage, f.label, f.unit, '-', '-', '-', '0', t, 'skipped']);
      continue;
    }
    rows.push([
      f.stage,
      f.label,
      f.unit,
      fmt(f.value.median, f.unit),
      fmt(f.value.min, f.unit),
      fmt(f.value.max, f.unit),
      String(f.value.n),
      t,
      f.met === undefined ? '' : f.met ? 'met' : 'NOT met',
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i >= 3 && i <= 6 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function jsonLine(meta: Record<string, unknown>, figures: Judged[], errors: string[]): string {
  const body = {
    ...meta,
    figures: Object.fromEntries(
      figures.map((f) => [
        f.key,
        {
          unit: f.unit,
          median: round(f.value.median, 3),
          min: round(f.value.min, 3),
          max: round(f.value.max, 3),
          n: f.value.n,
          ...(f.target ? { target: `${f.target.op} ${f.target.limit}${f.target.worst ? ' worst' : ''}`, met: f.met } : {}),
          ...(f.note ? { note: f.note } : {}),
          ...(f.skipped ? { skipped: f.skipped } : {}),
        },
      ]),
    ),
    targets: {
      met: figures.filter((f) => f.met === true).map((f) => f.key),
      notMet: figures.filter((f) => f.met === false).map((f) => f.key),
    },
    errors,
  };
  return `BENCH_JSON ${JSON.stringify(body)}`;
}
