import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { toolPath } from '../ops/repo-paths';

const execFileAsync = promisify(execFile);

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
  /** CPU the generator used when it ran as its own process (vegeta), ms. */
  generatorCpuMs?: number;
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
 * An open-loop run at a fixed rate with vegeta (github.com/tsenart/vegeta, built into .tools by
 * `HOTSWAP_SETUP_BENCH=1 scripts/setup-tools.sh`): request i leaves at t0 + i/rate whether or not
 * earlier ones answered, over at most `connections` keep-alive connections. Latency is vegeta's,
 * from when each request was issued to its response; percentiles are vegeta's (`report -type=json`).
 * The generator's own CPU (user + system of vegeta, from bash's `times`) is returned too.
 */
export async function runVegeta(target: Target, opts: { rate: number; durationS: number; connections: number }): Promise<LoadResult & { generatorCpuMs: number }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hotswap-vegeta-'));
  try {
    const headers = { 'Content-Type': 'application/json', ...target.headers };
    const lines = [`${target.method ?? 'POST'} ${target.url}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    if (target.body !== undefined) {
      await writeFile(path.join(dir, 'body'), target.body);
      lines.push(`@${path.join(dir, 'body')}`);
    }
    await writeFile(path.join(dir, 'targets'), `${lines.join('\n')}\n`);
    const vegeta = toolPath('vegeta');
    const attack = [vegeta, 'attack', `-targets=${dir}/targets`, `-rate=${opts.rate}/s`, `-duration=${opts.durationS}s`, `-workers=${opts.connections}`, `-max-workers=${opts.connections * 4}`, `-max-connections=${opts.connections}`, '-timeout=10s', `-output=${dir}/results`];
    // bash's `times` prints the children's user and system CPU on its second line ("0m1.230s 0m0.450s").
    const script = `${attack.map(quote).join(' ')} && ${quote(vegeta)} report -type=json ${quote(`${dir}/results`)} > ${quote(`${dir}/report.json`)}; status=$?; times >&2; exit $status`;
    const { stderr } = await execFileAsync('bash', ['-c', script], { maxBuffer: 1 << 20 });
    const cpu = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(stderr.trim());
    const generatorCpuMs = cpu ? (Number(cpu[1]) * 60 + Number(cpu[2]) + Number(cpu[3]) * 60 + Number(cpu[4])) * 1000 : NaN;
    const r = JSON.parse(await readFile(path.join(dir, 'report.json'), 'utf8')) as VegetaReport;
    const codes = r.status_codes ?? {};
    let ok = 0;
    let non2xx = 0;
    for (const [code, n] of Object.entries(codes)) {
      if (code === '0') continue;
      if (Number(code) >= 200 && Number(code) < 300) ok += n;
      else non2xx += n;
    }
    const seconds = r.duration / 1e9 + r.wait / 1e9;
    const ms = (ns: number) => ns / 1e6;
    return {
      responses: ok + non2xx,
      ok,
      non2xx,
      errors: codes['0'] ?? 0,
      seconds,
      rps: ok / seconds,
      p50: ms(r.latencies['50th']),
      p90: ms(r.latencies['90th']),
      p99: ms(r.latencies['99th']),
      max: ms(r.latencies.max),
      statusCodes: codes,
      targetRate: opts.rate,
      generatorCpuMs,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface VegetaReport {
  latencies: { '50th': number; '90th': number; '99th': number; max: number };
  duration: number;
  wait: number;
  status_codes?: Record<string, number>;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
