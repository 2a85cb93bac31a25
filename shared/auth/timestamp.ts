// Replay window shared by the signature schemes that carry a timestamp.

export const DEFAULT_TOLERANCE_SECONDS = 300;

export type TimestampCheck = { ok: true } | { ok: false; reason: string };

export function toleranceOf(configured: number | undefined): number {
  return typeof configured === 'number' && Number.isFinite(configured) && configured >= 0 ? configured : DEFAULT_TOLERANCE_SECONDS;
}

/** `raw` must be integer unix seconds (digits only, as Standard Webhooks and Grafana send it). */
export function checkTimestamp(raw: string, nowSeconds: number, toleranceSeconds: number): TimestampCheck {
  const text = raw.trim();
  if (!/^\d{1,12}$/.test(text)) return { ok: false, reason: 'is not a unix timestamp in seconds' };
  const skew = nowSeconds - Number(text);
  if (Math.abs(skew) <= toleranceSeconds) return { ok: true };
  const side = skew > 0 ? 'in the past' : 'in the future';
  return { ok: false, reason: `is a timestamp outside the tolerance (more than ${toleranceSeconds} s ${side}, check the sender's clock)` };
}
