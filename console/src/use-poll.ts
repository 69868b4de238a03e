/**
 * Live data by polling the API every second (simpler than server-sent events through the
 * api's workflow queries, and the same load as the CLI's --watch). Stops when `keepGoing`
 * says the data will not change any more, and when the component goes away.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api-client';

export const POLL_MS = 1000;

export interface Polled<T> {
  data: T | null;
  error: ApiError | null;
  /** Fetch now (after a command), without waiting for the next tick. */
  refresh: () => void;
}

export function usePoll<T>(load: () => Promise<T>, deps: unknown[], keepGoing: (data: T) => boolean = () => true): Polled<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const next = await load();
        if (stopped) return;
        setData(next);
        setError(null);
        if (!keepGoing(next)) return;
      } catch (e) {
        if (stopped) return;
        setError(e instanceof ApiError ? e : new ApiError(0, 'NETWORK_ERROR', String(e)));
      }
      timer = setTimeout(() => void run(), POLL_MS);
    };
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [...deps, tick]);
  return { data, error, refresh: () => setTick((t) => t + 1) };
}
