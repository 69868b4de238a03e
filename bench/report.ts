import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { LoadResult } from './load';
import type { RawRun } from './raw-ort-batch';

/** One process on a scenario's path, measured over the measured run. */
export interface ProcUse {
  name: string;
  cpuMs: number;
  rssBytes: number;
}

export interface Measured {
  id: string;
  label: string;
  load: LoadResult;
  procs: ProcUse[];
  /** CPU of the load generator (this process). */
  loadGenCpuMs: number;
  /** Machine CPU spent by anything else during the run (other people's tests). */
  othersCpuMs: number;
  wallMs: number;
  loadavg: string;
  /** Rows per request (1 for single predictions). */
  rows: number;
}

export interface BenchContext {
  date: string;
  commit: string;
  command: string;
  quick: boolean;
  machine: string;
  cores: number;
  node: string;
  ort: string;
  autocannon: string;
  vegeta: string;
  connections: number;
  warmupS: number;
  durationS: number;
  /** Measured seconds of each vegeta fixed-rate run. */
  fixedDurationS: number;
  rate: number;
  batchRows: number;
  loadStart: string;
  loadEnd: string;
}

export interface BenchResults {
  ctx: BenchContext;
  single: Measured[];
  batch: Measured | undefined;
  raw: { batch: RawRun; single: RawRun } | undefined;
  fixed: Measured[];
  predictionLog: { entries: number; gatewayResponses: number } | undefined;
  sanity: string[];
  /**
   * req/s of every closed-loop run of the two gateways, log + metrics off and on, measured in
   * alternating order (off on, on off, off on, …); the table rows are the median runs.
   */
  costRuns?: { off: number[]; on: number[] };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * What the prediction log and metrics cost in throughput: 1 − mean req/s with them / mean
 * without, over the alternating runs (equal durations), or over the two table rows.
 */
export function logCost(r: BenchResults): { cost: number; on: number; off: number; runs: string } {
  const runs = r.costRuns;
  if (runs && runs.on.length > 0 && runs.off.length > 0) {
    const on = mean(runs.on);
    const off = mean(runs.off);
    const list = (xs: number[]) => xs.map(f0).join(', ');
    return { cost: 1 - on / off, on, off, runs: `; ${runs.on.length} alternating runs each: with ${list(runs.on)}, without ${list(runs.off)}` };
  }
  const on = byId(r.single, 'gateway')?.load.rps ?? NaN;
  const off = byId(r.single, 'gateway-nolog')?.load.rps ?? NaN;
  return { cost: 1 - on / off, on, off, runs: '' };
}

export interface Floor {
  name: string;
  measured: string;
  pass: boolean | undefined;
  note?: string;
}

const f0 = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
const mb = (b: number) => (Number.isFinite(b) ? `${Math.round(b / 1048576)}` : 'n/a');
const us = (ms: number, n: number) => (n > 0 ? f0((ms * 1000) / n) : 'n/a');

function byId(list: Measured[], id: string): Measured | undefined {
  return list.find((m) => m.id === id);
}

function serverCpuMs(m: Measured): number {
  return m.procs.reduce((a, p) => a + p.cpuMs, 0);
}

/** Requests the servers handled: every response the generator received. */
const handled = (m: Measured) => m.load.responses;

function breakdown(m: Measured, per: number): string {
  return m.procs.map((p) => `${p.name} ${us(p.cpuMs, per)}`).join(' + ');
}

function rss(m: Measured): string {
  return m.procs.map((p) => `${p.name} ${mb(p.rssBytes)}`).join(', ');
}

const othersCores = (m: Measured) => f2(m.othersCpuMs / m.wallMs);

/**
 * What the path would serve if it were CPU-bound on otherwise idle cores: all cores divided by
 * the CPU one request costs its servers and the load generator. An estimate, but one that
 * other people's load on the machine barely moves (it shifts req/s, not CPU per request).
 */
function cpuBoundRps(m: Measured, cores: number): number {
  const n = handled(m);
  return n > 0 ? (cores * 1e6) / (((serverCpuMs(m) + m.loadGenCpuMs) * 1000) / n) : NaN;
}

/** The fixed-rate run the floor is judged on (the others are informational). */
const FIXED_FLOOR_IDS = ['fixed-vegeta'];

export function floors(r: BenchResults): Floor[] {
  const b1 = byId(r.single, 'b1');
  const ms = byId(r.single, 'model-server');
  const gw = byId(r.single, 'gateway');
  const off = byId(r.single, 'gateway-nolog');
  const out: Floor[] = [];
  const ratio = (a: Measured | undefined, b: Measured | undefined) => (a && b ? a.load.rps / b.load.rps : NaN);
  const est = (a: Measured | undefined, b: Measured | undefined) => (a && b ? cpuBoundRps(a, r.ctx.cores) / cpuBoundRps(b, r.ctx.cores) : NaN);
  const msR = ratio(ms, b1);
  out.push({ name: 'model server ≥ 0.85× B1 (32 connections)', measured: `${f2(msR)}× (${f0(ms?.load.rps ?? NaN)} vs ${f0(b1?.load.rps ?? NaN)} req/s); by CPU per request ${f2(est(ms, b1))}×`, pass: Number.isFinite(msR) ? msR >= 0.85 : undefined });
  const gwR = ratio(gw, b1);
  out.push({ name: 'gateway path ≥ 0.5× B1', measured: `${f2(gwR)}× (${f0(gw?.load.rps ?? NaN)} vs ${f0(b1?.load.rps ?? NaN)} req/s); by CPU per request ${f2(est(gw, b1))}×`, pass: Number.isFinite(gwR) ? gwR >= 0.5 : undefined });
  const c = logCost(r);
  out.push({
    name: 'prediction log + metrics cost ≤ 10 % throughput',
    measured: `${f1(c.cost * 100)} % (mean ${f0(c.on)} with vs ${f0(c.off)} req/s without${c.runs}); by CPU per request (median runs) ${f1((1 - est(gw, off)) * 100)} %`,
    pass: Number.isFinite(c.cost) ? c.cost <= 0.1 : undefined,
  });
  for (const m of r.fixed.filter((x) => FIXED_FLOOR_IDS.includes(x.id))) {
    const bad = m.load.non2xx + m.load.errors;
    out.push({
      name: `${m.load.targetRate ?? '?'} req/s through the gateway: p99 ≤ 5 ms, zero errors (vegeta open loop)`,
      measured: `p99 ${f2(m.load.p99)} ms, ${bad} non-2xx/errors, ${f0(m.load.rps)} req/s achieved`,
      pass: m.load.p99 <= 5 && bad === 0 && m.load.responses > 0,
    });
  }
  return out;
}

const verdict = (p: boolean | undefined) => (p === undefined ? 'n/a' : p ? '**PASS**' : '**FAIL**');

export function renderTables(r: BenchResults): string {
  const { ctx } = r;
  const lines: string[] = [];
  const b1 = byId(r.single, 'b1');
  lines.push(
    `Run ${ctx.date}${ctx.quick ? ' (**BENCH_QUICK smoke run — not representative**)' : ''}, commit ${ctx.commit}, \`${ctx.command}\`.`,
    `${ctx.machine}, ${ctx.cores} cores shared by every server and the load generator; Node ${ctx.node}, onnxruntime-node ${ctx.ort}, autocannon ${ctx.autocannon}, vegeta ${ctx.vegeta}.`,
    `${ctx.connections} connections, ${ctx.warmupS} s warm-up then ${ctx.durationS} s measured per scenario (vegeta's fixed-rate runs: ${ctx.fixedDurationS} s measured); batch ${ctx.batchRows} rows per request. ` +
      `Load average (1/5/15 min) at start ${ctx.loadStart}, at end ${ctx.loadEnd}.`,
    '',
    '**Single-row predictions, closed loop** (same body; req/s counts 2xx; latency over every response; CPU µs per request from /proc of each server process)',
    '',
    '| Path | req/s | × B1 | p50 ms | p99 ms | non-2xx | errors | server CPU µs/req | by process µs/req | RSS MB | load-gen CPU µs/req | other CPU (cores) | load avg | CPU-bound est. req/s | est. × B1 |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---|---:|---:|',
  );
  for (const m of r.single) {
    const n = handled(m);
    const est = cpuBoundRps(m, ctx.cores);
    lines.push(
      `| ${m.label} | ${f0(m.load.rps)} | ${b1 ? f2(m.load.rps / b1.load.rps) : 'n/a'} | ${f2(m.load.p50)} | ${f2(m.load.p99)} | ${m.load.non2xx} | ${m.load.errors} | ${us(serverCpuMs(m), n)} | ${breakdown(m, n)} | ${rss(m)} | ${us(m.loadGenCpuMs, n)} | ${othersCores(m)} | ${m.loadavg} | ${f0(est)} | ${b1 ? f2(est / cpuBoundRps(b1, ctx.cores)) : 'n/a'} |`,
    );
  }
  lines.push(
    '',
    `"other CPU" is what the rest of the machine (other people's work) used during the run, in cores out of ${ctx.cores}. ` +
      `"CPU-bound est." = ${ctx.cores} cores ÷ (server + load-generator CPU per request): the rate on otherwise idle cores if CPU is the limit; it is barely moved by other load, unlike req/s.`,
  );
  if (r.batch || r.raw) {
    lines.push('', `**Batch: rows/s through the model server's batch route vs raw in-process ORT** (${ctx.batchRows} rows per request / per run)`, '');
    lines.push('| Path | rows/s | × raw ORT | req/s (runs/s) | p50 ms | p99 ms | non-2xx | errors | CPU µs/row | RSS MB |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    const raw = r.raw?.batch;
    if (r.batch) {
      const m = r.batch;
      const rowsPerS = m.load.rps * m.rows;
      lines.push(`| ${m.label} | ${f0(rowsPerS)} | ${raw ? f2(rowsPerS / raw.rowsPerSecond) : 'n/a'} | ${f0(m.load.rps)} | ${f2(m.load.p50)} | ${f2(m.load.p99)} | ${m.load.non2xx} | ${m.load.errors} | ${f2((serverCpuMs(m) * 1000) / (handled(m) * m.rows))} | ${rss(m)} |`);
    }
    if (r.raw) {
      for (const [label, run] of [[`raw ORT session.run, ${r.raw.batch.rows} rows per run (in-process, no HTTP)`, r.raw.batch], ['raw ORT session.run, 1 row per run (in-process, no HTTP)', r.raw.single]] as const) {
        lines.push(`| ${label} | ${f0(run.rowsPerSecond)} | ${raw ? f2(run.rowsPerSecond / raw.rowsPerSecond) : 'n/a'} | ${f0(run.runsPerSecond)} | ${f2(run.p50Ms)} | ${f2(run.p99Ms)} | 0 | 0 | ${f2(run.cpuMsPerRow * 1000)} | raw ${mb(run.rssBytes)} |`);
      }
    }
  }
  if (r.fixed.length > 0) {
    lines.push('', `**Fixed rate** (vegeta: open loop, each request issued on schedule whatever the earlier ones did; the floor is judged on the first row, the others show where the tail comes from)`, '');
    lines.push(
      '| Generator | target req/s | achieved req/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx | errors | generator CPU µs/req | server CPU µs/req | by process µs/req | other CPU (cores) | load avg |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|',
    );
    for (const m of r.fixed) {
      const n = handled(m);
      lines.push(
        `| ${m.label} | ${m.load.targetRate ?? ''} | ${f0(m.load.rps)} | ${f2(m.load.p50)} | ${f2(m.load.p90)} | ${f2(m.load.p99)} | ${f2(m.load.max)} | ${m.load.non2xx} | ${m.load.errors} | ${us(m.loadGenCpuMs, n)} | ${us(serverCpuMs(m), n)} | ${breakdown(m, n)} | ${othersCores(m)} | ${m.loadavg} |`,
      );
    }
  }
  if (r.predictionLog) {
    const { entries, gatewayResponses } = r.predictionLog;
    const extra = entries - gatewayResponses;
    const why = extra > 0 ? `; the ${f0(extra)} more are requests in flight when a load run stopped (at most one per connection per run), answered and logged, not counted by the generator` : '';
    lines.push('', `Prediction log check: ${f0(entries)} entries in MongoDB (FerretDB) after the recording gateway answered ${f0(gatewayResponses)} inferences (warm-ups included)${why}.`);
  }
  lines.push('', '**Floors**', '', '| Floor | Measured | Verdict |', '|---|---|---|');
  for (const fl of floors(r)) lines.push(`| ${fl.name} | ${fl.measured} | ${verdict(fl.pass)} |`);
  if (r.sanity.length) lines.push('', `Same answer on every path: ${r.sanity.join('; ')}.`);
  return lines.join('\n');
}

export function historyRow(r: BenchResults): string {
  const get = (id: string) => byId(r.single, id);
  const rps = (id: string) => f0(get(id)?.load.rps ?? NaN);
  const b1 = get('b1');
  const x = (id: string) => {
    const m = get(id);
    return b1 && m ? `${f2(m.load.rps / b1.load.rps)}×, est. ${f2(cpuBoundRps(m, r.ctx.cores) / cpuBoundRps(b1, r.ctx.cores))}×` : 'n/a';
  };
  const c = logCost(r).cost;
  const cost = Number.isFinite(c) ? `${f1(c * 100)} %` : 'n/a';
  const fixed = r.fixed.filter((m) => FIXED_FLOOR_IDS.includes(m.id)).map((m) => `vegeta ${f2(m.load.p99)} ms / ${m.load.non2xx + m.load.errors} err`).join(', ');
  const rows = r.batch && r.raw ? `${f2((r.batch.load.rps * r.batch.rows) / r.raw.batch.rowsPerSecond)}×` : 'n/a';
  const verdicts = floors(r)
    .map((fl) => (fl.pass === undefined ? '-' : fl.pass ? 'P' : 'F'))
    .join('');
  return `| ${r.ctx.date} | ${r.ctx.commit} | ${r.ctx.loadStart} | ${rps('b1')} | ${rps('model-server')} (${x('model-server')}) | ${rps('gateway')} (${x('gateway')}) | ${cost} | ${rows} | ${fixed} | ${verdicts} |`;
}

const BEGIN = '<!-- bench:results:begin (generated by `npm run bench`; edits here are overwritten) -->';
const END = '<!-- bench:results:end -->';
const HIST_BEGIN = '<!-- bench:history:begin (one row per full run, newest first, generated) -->';
const HIST_END = '<!-- bench:history:end -->';
const HIST_HEADER = [
  '| Run | Commit | Load avg at start | B1 req/s | Model server req/s (× B1) | Gateway req/s (× B1) | Log + metrics cost | Batch rows/s × raw | 1000 req/s p99 / errors | Floors (MS, GW, cost, 1000 req/s; rows before vegeta: paced, autocannon) |',
  '|---|---|---|---:|---:|---:|---:|---:|---|---|',
];
const MAX_HISTORY = 20;

function between(text: string, a: string, b: string): { before: string; inner: string; after: string } | undefined {
  const i = text.indexOf(a);
  const j = text.indexOf(b, i + a.length);
  if (i < 0 || j < 0) return undefined;
  return { before: text.slice(0, i + a.length), inner: text.slice(i + a.length, j), after: text.slice(j) };
}

/**
 * Replaces the generated sections of docs/PERFORMANCE.md (the hand-written text around them
 * stays): the latest run's tables, and one history row per run. Missing markers are appended.
 */
export function writePerformanceDoc(file: string, r: BenchResults): void {
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Performance\n';
  if (!text.includes(BEGIN)) text = `${text.trimEnd()}\n\n## Latest results\n\n${BEGIN}\n${END}\n`;
  if (!text.includes(HIST_BEGIN)) text = `${text.trimEnd()}\n\n## Run history\n\n${HIST_BEGIN}\n${HIST_END}\n`;
  const res = between(text, BEGIN, END)!;
  text = `${res.before}\n${renderTables(r)}\n${res.after}`;
  const hist = between(text, HIST_BEGIN, HIST_END)!;
  const old = hist.inner
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| Run |'))
    .slice(0, MAX_HISTORY - 1);
  text = `${hist.before}\n${[...HIST_HEADER, historyRow(r), ...old].join('\n')}\n${hist.after}`;
  writeFileSync(file, text);
}
