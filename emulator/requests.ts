import type { LoggedRequest, RequestFilter } from './types.js';

// Every request any service answered (faulted ones too), oldest first. Bounded so a long
// benchmark cannot grow it without limit.

const MAX_ENTRIES = 50_000;

export class RequestLog {
  private entries: LoggedRequest[] = [];
  /** Requests received and not answered yet: each is logged once it is answered. */
  inFlight = 0;

  add(entry: LoggedRequest): void {
    this.entries.push(entry);
    if (this.entries.length > MAX_ENTRIES) this.entries.splice(0, this.entries.length - MAX_ENTRIES);
  }

  list(filter: RequestFilter = {}): LoggedRequest[] {
    return this.entries
      .filter((e) => (!filter.service || e.service === filter.service) && (!filter.action || e.action === filter.action))
      .map((e) => ({ ...e, params: { ...e.params } }));
  }

  clear(): void {
    this.entries = [];
  }
}
