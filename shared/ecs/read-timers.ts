import dc from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

// `@alicloud/openapi-core` sends through `httpx`, which arms a read timer on the socket
// and clears it only in its own `read()`; openapi-core reads responses another way, so
// every call leaves that timer running for the whole read timeout, holding the request
// and response alive (≈180 MB at 1,000 webhooks/s), and on a reused keep-alive socket the
// stale timer can later clear the *next* request's timer. Once a response has been read
// to the end no read is pending: clear it then. httpx keeps its agents private, so Node's
// HTTP diagnostics channel is where we can see its responses.

const HTTPX_READ_TIMER = 'TIMER::READ_TIMER';
let installed = false;

/** Idempotent: subscribes once per process. */
export function clearStaleReadTimers(): void {
  if (installed) return;
  installed = true;
  dc.subscribe('http.client.response.finish', (message) => {
    const { response } = message as { response: IncomingMessage };
    const socket = response.socket;
    if (!socket) return;
    response.once('end', () => clearReadTimer(socket));
  });
}

function readTimerKeys(socket: Socket): symbol[] {
  return Object.getOwnPropertySymbols(socket).filter((key) => key.description === HTTPX_READ_TIMER);
}

function clearReadTimer(socket: Socket): void {
  const holder = socket as unknown as Record<symbol, NodeJS.Timeout | null>;
  for (const key of readTimerKeys(socket)) {
    const timer = holder[key];
    if (timer) clearTimeout(timer);
    holder[key] = null;
  }
}

/** How many of these sockets still hold a live httpx read timer (for tests). */
export function liveReadTimers(sockets: Iterable<Socket>): number {
  let n = 0;
  for (const socket of sockets) {
    const holder = socket as unknown as Record<symbol, { _destroyed?: boolean } | null>;
    for (const key of readTimerKeys(socket)) if (holder[key] && !holder[key]?._destroyed) n++;
  }
  return n;
}
