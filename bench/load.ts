import http from 'node:http';
import autocannon from 'autocannon';

/** What one load run measured, from the load generator's side. */
export interface LoadResult {
  /** Responses received (any status). */
  responses: number;
  ok: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  seconds: number;
  /** 2xx responses per second. */
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  statusCodes: Record<string, number>;
  /** Requests per second the generator aimed at (fixed-rate runs). */
  targetRate?: number;
  /** Paced runs: how late the generator itself sent requests (p99, ms) — its own share of the latency. */
  sendLagP99?: number;
}

export interface Target {
  url: string;
  method?: 'POST' | 'GET';
  headers?: Record<string, string>;
  body?: string;
}

/** Latencies in ms, kept exactly (autocannon's own histogram rounds to whole milliseconds). */
class Latencies {
  private v = new Float64Array(1 << 16);
  n = 0;
  add(ms: number): void {
    if (this.n === this.v.length) {
      const bigger = new Float64Array(this.v.length * 2);
      bigger.set(this.v);
      this.v = bigger;
    }
    this.v[this.n++] = ms;
  }
  summary(): { p50: number; p90: number; p99: number; max: number } {
    const s = this.v.slice(0, this.n).sort();
    const at = (p: number) => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]);
    return { p50: at(50), p90: at(90), p99: at(99), max: s.length ? s[s.length - 1] : NaN };
  }
}

/**
 * A closed-loop autocannon run (each connection sends its next request when the previous
 * answered), or with `overallRate` autocannon's rate limit. Latency percentiles are computed
 * from every response's exact time (autocannon's 'response' event), all statuses included.
 */
export function runAutocannon(target: Target, opts: { connections: number; durationS: number; overallRate?: number }): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const lat = new Latencies();
    const codes: Record<string, number> = {};
    let ok = 0;
    let non2xx = 0;
    const t0 = performance.now();
    const instance = autocannon(
      {
        url: target.url,
        method: target.method ?? 'POST',
        headers: { 'content-type': 'application/json', ...target.headers },
        body: target.body,
        connections: opts.connections,
        duration: opts.durationS,
        timeout: 10,
        ...(opts.overallRate ? { overallRate: opts.overallRate } : {}),
      },
      (err, result) => {
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        const seconds = (performance.now() - t0) / 1000;
        resolve({
          responses: lat.n,
          ok,
          non2xx,
          errors: result.errors + result.timeouts,
          seconds,
          rps: ok / seconds,
          ...lat.summary(),
          statusCodes: codes,
          ...(opts.overallRate ? { targetRate: opts.overallRate } : {}),
        });
      },
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      lat.add(responseTime);
      codes[statusCode] = (codes[statusCode] ?? 0) + 1;
      if (statusCode >= 200 && statusCode < 300) ok++;
      else non2xx++;
    });
  });
}

/**
 * An open-loop generator at a fixed rate: request i is due at t0 + i/rate and is sent then
 * (over a keep-alive pool of `connections` sockets; when all are busy it waits for one).
 * Latency is measured from when the request was due, not when it left, so a server that
 * falls behind is charged for the queue it causes (no coordinated omission).
 */
export async function runPaced(target: Target, opts: { rate: number; durationS: number; connections: number }): Promise<LoadResult> {
  const u = new URL(target.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections, maxFreeSockets: opts.connections });
  const body = target.body === undefined ? undefined : Buffer.from(target.body);
  const headers: Record<string, string | number> = { 'content-type': 'application/json', ...target.headers };
  if (body) headers['content-length'] = body.length;
  const lat = new Latencies();
  const lag = new Latencies();
  const codes: Record<string, number> = {};
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let pending = 0;
  const total = Math.round(opts.rate * opts.durationS);
  const interval = 1000 / opts.rate;
  let drained: (() => void) | undefined;

  const send = (due: number) => {
    lag.add(performance.now() - due);
    pending++;
    const finish = () => {
      if (--pending === 0 && drained) drained();
    };
    const req = http.request({ agent, host: u.hostname, port: u.port, path: u.pathname + u.search, method: target.method ?? 'POST', headers }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        lat.add(performance.now() - due);
        codes[status] = (codes[status] ?? 0) + 1;
        if (status >= 200 && status < 300) ok++;
        else non2xx++;
        finish();
      });
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', () => {
      errors++;
      finish();
    });
    req.end(body);
  };

  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    let i = 0;
    const tick = () => {
      const now = performance.now();
      while (i < total && t0 + i * interval <= now) send(t0 + i++ * interval);
      if (i < total) setTimeout(tick, Math.max(0, t0 + i * interval - performance.now()));
      else resolve();
    };
    tick();
  });
  if (pending > 0) await Promise.race([new Promise<void>((r) => (drained = r)), new Promise((r) => setTimeout(r, 15_000))]);
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  return { responses: lat.n, ok, non2xx, errors: errors + pending, seconds, rps: ok / seconds, ...lat.summary(), statusCodes: codes, targetRate: opts.rate, sendLagP99: lag.summary().p99 };
}
