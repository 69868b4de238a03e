import type { Logger } from '../../infra/telemetry/logger';
import type { AsyncRequestStore } from './async-request-store';

/**
 * Deletes expired async requests every `sweepMs` (first after at most a minute). MongoDB's TTL
 * index on `expiresAt` does the same on its own; FerretDB has no TTL indexes, so this sweep is
 * what deletes there. Every api replica sweeps; the deletes are idempotent.
 */
export function startAsyncExpiry(store: AsyncRequestStore, opts: { retentionMs: number; sweepMs: number; log: Logger }): { stop(): void } {
  let timer: NodeJS.Timeout | null = null;
  const sweep = async () => {
    try {
      const deleted = await store.deleteExpired(opts.retentionMs);
      if (deleted > 0) opts.log.info({ deleted }, 'async requests expired');
    } catch (err) {
      opts.log.warn({ err }, 'async request expiry sweep failed');
    }
  };
  const schedule = (ms: number) => {
    timer = setTimeout(() => {
      void sweep().finally(() => {
        if (timer) schedule(opts.sweepMs);
      });
    }, ms);
    timer.unref();
  };
  schedule(Math.min(60_000, opts.sweepMs));
  return {
    stop() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
