/**
 * Raw in-process ONNX Runtime throughput, the ceiling of the batch route: one session (the
 * model server's options), a tensor encoded once up front, `session.run` back to back on the
 * JS thread. Runs in its own process; prints one JSON line:
 *   {batch: {rows, runs, seconds, rowsPerSecond, cpuMsPerRow, p50Ms, p99Ms}, single: {...}}
 * `single` is the same loop with one row per run (what B1 pays per request before HTTP).
 *
 * Env: BENCH_BATCH_ROWS (100), BENCH_WARMUP_S (2), BENCH_DURATION_S (10).
 */
import * as ort from 'onnxruntime-node';
import { encodeInto, modelPath, sampleRows, SESSION_OPTIONS, WIDTH } from './fixture';

export interface RawRun {
  rows: number;
  runs: number;
  seconds: number;
  rowsPerSecond: number;
  runsPerSecond: number;
  cpuMsPerRow: number;
  p50Ms: number;
  p99Ms: number;
  rssBytes: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function loop(session: ort.InferenceSession, rows: number, warmupS: number, durationS: number): Promise<RawRun> {
  const data = new Float32Array(rows * WIDTH);
  sampleRows(rows).forEach((r, i) => encodeInto(r, data, i * WIDTH));
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, [rows, WIDTH]) };
  const until = (s: number) => performance.now() + s * 1000;
  for (const end = until(warmupS); performance.now() < end; ) await session.run(feeds);
  let times = new Float64Array(1 << 16);
  let runs = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + durationS * 1000;
  for (let t = t0; t < end; ) {
    await session.run(feeds);
    const t1 = performance.now();
    if (runs === times.length) {
      const bigger = new Float64Array(times.length * 2);
      bigger.set(times);
      times = bigger;
    }
    times[runs++] = t1 - t;
    t = t1;
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const sorted = times.slice(0, runs).sort();
  return {
    rows,
    runs,
    seconds,
    rowsPerSecond: (runs * rows) / seconds,
    runsPerSecond: runs / seconds,
    cpuMsPerRow: (cpu.user + cpu.system) / 1000 / (runs * rows),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    rssBytes: process.memoryUsage().rss,
  };
}

async function main(): Promise<void> {
  const rows = Number(process.env.BENCH_BATCH_ROWS ?? 100);
  const warmupS = Number(process.env.BENCH_WARMUP_S ?? 2);
  const durationS = Number(process.env.BENCH_DURATION_S ?? 10);
  const session = await ort.InferenceSession.create(modelPath(), SESSION_OPTIONS as unknown as ort.InferenceSession.SessionOptions);
  const batch = await loop(session, rows, warmupS, durationS);
  const single = await loop(session, 1, warmupS, durationS);
  await session.release();
  process.stdout.write(`${JSON.stringify({ batch, single })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`raw ORT run failed: ${(e as Error).stack}\n`);
  process.exit(1);
});
