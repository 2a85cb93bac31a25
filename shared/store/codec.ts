import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Verdict } from '../events/result.js';

// A verdict as a stored record: JSON, deflated when large (a 1,000-target result shrinks
// about tenfold), and bounded: past MAX_RECORD_BYTES only the summary is kept (outcome,
// counts, status), with a note pointing at the full result event.

/** Results this large are deflated first. */
const DEFLATE_FROM = 8 * 1024;
/** The most one record may take in a store (after deflating). */
export const MAX_RECORD_BYTES = 512 * 1024;

export function encodeVerdict(verdict: Verdict): string {
  const full = pack(JSON.stringify(verdict));
  if (full.length <= MAX_RECORD_BYTES) return full;
  const { data } = verdict.event;
  const summary: Verdict = {
    ...verdict,
    event: {
      ...verdict.event,
      data: {
        ...data,
        targets: [],
        reason: `${data.reason ? `${data.reason}; ` : ''}the ${data.targets.length} targets were too many to keep for duplicates: see result event ${verdict.event.id}`,
      },
    },
  };
  return pack(JSON.stringify(summary));
}

export function decodeVerdict(record: string): Verdict {
  const json = record.startsWith('z') ? inflateRawSync(Buffer.from(record.slice(1), 'base64')).toString('utf8') : record.slice(1);
  return JSON.parse(json) as Verdict;
}

function pack(json: string): string {
  return json.length < DEFLATE_FROM ? `j${json}` : `z${deflateRawSync(json, { level: 1 }).toString('base64')}`;
}
