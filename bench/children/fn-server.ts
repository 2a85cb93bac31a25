import { startLocalRuntime } from '../../local/server.js';
import { loadBundle } from './fc.js';
import { env, maxRssKb, reply, replyAndExit, serve } from './protocol.js';

// The bundle behind the repository's local FC 3.0 HTTP runtime (local/server.ts, bundled
// in): HTTP request → FC HTTP trigger event → handler → HTTP response, as `npm start` does.

async function main(): Promise<void> {
  const fn = loadBundle(env('BENCH_BUNDLE'));
  const rt = await startLocalRuntime(fn, { port: 0, host: '127.0.0.1' });
  reply({ listening: true, url: rt.url });
  serve({ rss: async () => ({ maxRssKb: maxRssKb() }) });
}

main().catch((err: unknown) => {
  replyAndExit({ listening: false, error: err instanceof Error ? err.stack ?? err.message : String(err) }, 1);
});
