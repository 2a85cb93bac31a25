// AWS Systems Manager's MaxErrors, for Cloud Assistant (which has no such control):
// "the maximum number of errors allowed ... When the command fails one more time beyond
// the value of MaxErrors, the system stops sending the command to additional targets.
// You can specify a number like 10 or a percentage like 10%" — `0` stops after the first
// failure, `10%` of 50 targets stops at the sixth.
// https://docs.aws.amazon.com/systems-manager/latest/userguide/send-commands-multiple.html

/** `N` (0–100000) or `N%` (0–100), as SSM writes it. */
export const MAX_ERRORS_PATTERN = '^(0|[1-9][0-9]{0,4}|100000|(100|[1-9]?[0-9])%)$';
const RE = new RegExp(MAX_ERRORS_PATTERN);

export type MaxErrors = { kind: 'count'; value: number; text: string } | { kind: 'percent'; value: number; text: string };

/** '3', 3, '10%' → a threshold; anything else → undefined. */
export function parseMaxErrors(input: string | number): MaxErrors | undefined {
  const text = typeof input === 'number' ? String(input) : input.trim();
  if (!RE.test(text)) return undefined;
  return text.endsWith('%') ? { kind: 'percent', value: Number(text.slice(0, -1)), text } : { kind: 'count', value: Number(text), text };
}

/**
 * Failures allowed among `total` targets. A percentage is rounded down (10% of 45 allows
 * 4): SSM documents no rounding, and rounding down is the side that stops sooner.
 */
export function allowedErrors(max: MaxErrors, total: number): number {
  return max.kind === 'count' ? max.value : Math.floor((max.value * total) / 100);
}

/** SSM: stop once the failures exceed what is allowed. */
export const exceeds = (failed: number, max: MaxErrors, total: number): boolean => failed > allowedErrors(max, total);
