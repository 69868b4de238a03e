import net from 'node:net';

/** Answers "is it up yet?"; never throws. */
export type Probe = () => Promise<boolean>;

/** Up when host:port accepts a TCP connection. */
export function tcpProbe(host: string, port: number, timeoutMs = 1000): Probe {
  return () =>
    new Promise((resolve) => {
      const socket = net.connect({ host, port });
      const done = (ok: boolean) => {
        socket.removeAllListeners();
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(timeoutMs, () => done(false));
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    });
}

/** Up when `url` answers HTTP with a status that `accept` likes (any status by default:
 * a 401 or 404 still proves the server is serving). */
export function httpProbe(url: string, accept: (status: number) => boolean = () => true, timeoutMs = 2000): Probe {
  return async () => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      await res.arrayBuffer().catch(() => undefined);
      return accept(res.status);
    } catch {
      return false;
    }
  };
}

/** Up when every probe is up, checked in order (cheap ones first). */
export function allProbes(...probes: Probe[]): Probe {
  return async () => {
    for (const p of probes) if (!(await p())) return false;
    return true;
  };
}

export class ProbeTimeoutError extends Error {
  constructor(what: string, timeoutMs: number) {
    super(`${what} was not ready within ${Math.round(timeoutMs / 1000)}s`);
    this.name = 'ProbeTimeoutError';
  }
}

/** Polls `probe` until it is up; rejects with `abort()`'s error as soon as that returns one
 * (e.g. the process died) or with ProbeTimeoutError after `timeoutMs`. */
export async function waitUntilReady(
  what: string,
  probe: Probe,
  opts: { timeoutMs: number; intervalMs?: number; abort?: () => Error | undefined },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 100;
  for (;;) {
    const aborted = opts.abort?.();
    if (aborted) throw aborted;
    if (await probe()) return;
    const afterProbe = opts.abort?.();
    if (afterProbe) throw afterProbe;
    if (Date.now() >= deadline) throw new ProbeTimeoutError(what, opts.timeoutMs);
    await new Promise((r) => setTimeout(r, interval));
  }
}
