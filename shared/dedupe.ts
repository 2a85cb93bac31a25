import { randomUUID } from 'node:crypto';
import { asDuplicate, buildResult, retryWanted, type Origin, type Verdict } from './events/result.js';
import type { Logger } from './log.js';
import { decodeVerdict, encodeVerdict } from './store/codec.js';
import type { Stores } from './store/open.js';
import type { ClaimResult, IdempotencyStore } from './store/types.js';
import type { SourceName, TriggerKind } from './types.js';

// Idempotency: one delivery, one stop, however many copies arrive and wherever they land.
//  - copies in this process while the first is in flight wait for it and share its answer;
//  - otherwise the key (dedupe key + work digest) is claimed in the store: the winner
//    stops and stores the result; a copy that finds the result answers `duplicate` with
//    it; one that finds a claim held elsewhere is told to come back (503 + Retry-After,
//    or a throw for events); a result a retry can improve releases the claim and is kept
//    as `previous`, so the redelivery re-stops only what failed.
// The store is this instance's memory, or the shared Redis-compatible one (REDIS_URL);
// when the shared one fails the request goes ahead as if there were none (a duplicate
// stop is harmless) and the result says `dedupe: "unavailable"`.

export interface DedupeRequest extends Origin {
  deadline: number;
  trigger: TriggerKind;
  source?: SourceName;
  dedupeKey?: string;
}

/** Kept past the deadline so the claim expires when the function would have been stopped. */
const CLAIM_MARGIN_MS = 1000;
/** Storing the result may use part of the margin kept back from the function timeout. */
const FINISH_GRACE_MS = 500;
const IN_PROGRESS_RETRY_AFTER_S = 1;
export const IN_PROGRESS_CODE = 'StopInProgress';

type Mode = 'shared' | 'unavailable' | undefined;

export class Dedupe {
  private readonly inflight = new Map<string, Promise<Verdict>>();

  constructor(private readonly stores: Stores, private readonly ttlMs: number, private readonly log: Logger) {}

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  /** Answer `req` for `key`: from an earlier or concurrent copy, or by running `work`. */
  async run(key: string, req: DedupeRequest, work: (previous: Verdict | undefined) => Promise<Verdict>): Promise<Verdict> {
    const scoped = `${req.accountId}/${req.functionName}/${key}`;
    const running = this.inflight.get(scoped);
    if (running) {
      const first = await running;
      return first.event.data.error?.code === IN_PROGRESS_CODE ? inProgress(req, first.event.data.dedupe) : asDuplicate(first, req.requestId);
    }
    const answer = this.claimAndRun(scoped, req, work);
    this.inflight.set(scoped, answer);
    try {
      return await answer;
    } finally {
      if (this.inflight.get(scoped) === answer) this.inflight.delete(scoped);
    }
  }

  private async claimAndRun(key: string, req: DedupeRequest, work: (previous: Verdict | undefined) => Promise<Verdict>): Promise<Verdict> {
    const token = randomUUID();
    const ttlMs = Math.max(1000, req.deadline + CLAIM_MARGIN_MS - Date.now());
    let mode: Mode = this.stores.configured ? 'shared' : undefined;
    let claim: ClaimResult | undefined;
    if (this.stores.configured) {
      // A final result this instance already holds stays the answer, even when the shared
      // store has lost it (restarted, evicted) or cannot be reached.
      const known = this.stores.local.completed(key);
      const first = known === undefined ? undefined : this.decode(known);
      if (first) return asDuplicate(first, req.requestId);
      const shared = await this.stores.attempt((s) => s.claim(key, token, ttlMs), req.deadline, 'claim');
      if (shared.ok) claim = shared.value;
      else mode = 'unavailable';
    }
    const viaShared = claim !== undefined;
    claim ??= await this.stores.local.claim(key, token, ttlMs);

    if (claim.state === 'completed') {
      const first = this.decode(claim.record);
      if (first) {
        if (viaShared) await this.stores.local.complete(key, token, claim.record, this.ttlMs);
        return mark(asDuplicate(first, req.requestId), mode);
      }
      claim = { state: 'claimed' };
    }
    if (claim.state === 'in-progress') return inProgress(req, mode);

    this.log.debug('dedupe claim taken', { requestId: req.requestId, store: viaShared ? 'shared' : 'local', retry: claim.previous !== undefined });
    const previous = claim.previous === undefined ? undefined : this.decode(claim.previous);
    let verdict: Verdict;
    try {
      verdict = mark(await work(previous), mode);
    } catch (err) {
      // Not expected (work answers its own failures); a shared claim then lapses at the deadline.
      this.stores.local.forget(key, token);
      throw err;
    }

    // A retry can improve this answer (a retryable target, or our own 5xx): free the key for it.
    const again = retryWanted(verdict);
    const record = encodeVerdict(verdict);
    const finish = (s: IdempotencyStore) => (again ? s.release(key, token, record, this.ttlMs) : s.complete(key, token, record, this.ttlMs));
    if (this.stores.configured) {
      // Also after a failed claim: an answer that came too late may have left our claim there.
      const done = await this.stores.attempt(finish, req.deadline + FINISH_GRACE_MS, again ? 'release' : 'complete');
      if (!done.ok) mark(verdict, 'unavailable');
    }
    // Kept here as well: the answer for this instance's next copy, whatever happens to the shared store.
    await finish(this.stores.local);
    return verdict;
  }

  private decode(record: string): Verdict | undefined {
    try {
      return decodeVerdict(record);
    } catch (err) {
      this.log.warn('stored result unreadable; handling the request again', { error: err instanceof Error ? err.message : String(err) });
      return undefined;
    }
  }
}

function mark(verdict: Verdict, mode: Mode): Verdict {
  if (mode) verdict.event.data.dedupe = mode;
  return verdict;
}

/** The same delivery is being handled elsewhere: come back for its result. */
function inProgress(req: DedupeRequest, mode: Mode): Verdict {
  const verdict = buildResult({
    origin: req,
    trigger: req.trigger,
    source: req.source,
    dedupeKey: req.dedupeKey,
    targets: [],
    durationMs: 0,
    rejected: {
      status: 503,
      error: { code: IN_PROGRESS_CODE, message: 'another instance is stopping this same delivery; retry to get its result' },
    },
  });
  verdict.headers['retry-after'] = String(IN_PROGRESS_RETRY_AFTER_S);
  verdict.retryable = true;
  return mark(verdict, mode);
}
