// STOP_BUDGET's format, `<limit>/<window><s|m|h>` (e.g. `500/10m`): read at start-up by
// config.ts, spent by store/budget.ts. Pure; here so configuration depends on no stage.

export interface BudgetSpec {
  /** Instance-stops allowed in any window of `windowMs`. */
  limit: number;
  windowMs: number;
  /** As configured, e.g. `500/10m`, for messages. */
  text: string;
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;
export const BUDGET_PATTERN = '^[0-9]{1,7}/[0-9]{1,5}(s|m|h)$';

export function parseBudget(text: string): BudgetSpec | undefined {
  const m = /^([0-9]+)\/([0-9]+)(s|m|h)$/.exec(text);
  if (!m) return undefined;
  const limit = Number(m[1]);
  const windowMs = Number(m[2]) * UNIT_MS[m[3] as keyof typeof UNIT_MS];
  if (limit < 1 || windowMs < 1000 || windowMs > 7 * 86_400_000) return undefined;
  return { limit, windowMs, text };
}
