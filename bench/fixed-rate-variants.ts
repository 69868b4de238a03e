/**
 * The 1,000 req/s tail through the gateway (full prediction log) under one change at a time.
 * Standalone (not part of `npm run bench`; needs `npm run build` and vegeta from
 * `HOTSWAP_SETUP_BENCH=1 bash scripts/setup-tools.sh`):
 *
 *   npx tsx bench/fixed-rate-variants.ts                                 # base, nice:10, flush:100, flush:500, nolog
 *   VARIANTS=base,flush:50 RUNS=3 npx tsx bench/fixed-rate-variants.ts
 *
 * Variants: `base` (defaults; a new default api when another api variant ran before it),
 * `nice:N` (FerretDB reniced to N from then on), `idle` (FerretDB, every thread, under
 * SCHED_IDLE from then on: it runs only on an otherwise idle core), `flush:MS` (a new
 * api with PREDICTION_LOG_FLUSH_MS=MS), `nolog` (a new api with the log and metrics off),
 * `nootel` (a new api without OpenTelemetry), `env:NAME=VALUE` (a new api with that setting),
 * `node:FLAGS` (a new api with those node flags, e.g. `node:--max-semi-space-size=32`;
 * `env:BENCH_LOG_STAGE=insert` cuts the log at one stage, see bench/gateway-server.ts). Each:
 * a 3 s warm-up, then RUNS measured runs of 10 s, printing vegeta's percentiles and each
 * process's CPU per request (api / model server / FerretDB).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MODEL_NAME, SINGLE_BODY } from './fixture';
import { runVegeta } from './load';
import { processCpuMs } from './proc-stats';
import { deploy, sharedSettings, startFerret, startGateway, startModelServer, stopAll, stopProc, waitForGateway } from './stack';

const VARIANTS = (process.env.VARIANTS ?? 'base,nice:10,flush:100,flush:500,nolog').split(',');
const RUNS = Number(process.env.RUNS ?? 2);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
/** BENCH_API_NODE_ARGS given to this script apply to every api it starts. */
const nodeArgs = process.env.BENCH_API_NODE_ARGS ?? '';

async function main(): Promise<void> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'hotswap-fixed-rate-'));
  const ferret = await startFerret(workDir);
  const shared = await sharedSettings(workDir, ferret.uri);
  const server = await startModelServer(shared);
  let gateway = await startGateway(shared, { name: 'api', predictionLog: true, otel: true });
  const dep = await deploy(shared, gateway, server);
  await waitForGateway(gateway, dep.apiKey);
  let running = 'base';
  try {
    for (const variant of VARIANTS) {
      const colon = variant.indexOf(':');
      const [kind, arg] = colon < 0 ? [variant, undefined] : [variant.slice(0, colon), variant.slice(colon + 1)];
      // `base` after another api variant starts a default api again.
      const apiVariant = kind === 'flush' || kind === 'nolog' || kind === 'nootel' || kind === 'env' || kind === 'node';
      if (apiVariant || (kind === 'base' && running !== 'base')) {
        await stopProc(gateway);
        process.env.BENCH_API_ENV = kind === 'flush' ? `PREDICTION_LOG_FLUSH_MS=${arg}` : kind === 'env' ? (arg ?? '') : '';
        if (kind === 'node') process.env.BENCH_API_NODE_ARGS = `${nodeArgs} ${arg ?? ''}`;
        else process.env.BENCH_API_NODE_ARGS = nodeArgs;
        gateway = await startGateway(shared, { name: 'api', predictionLog: kind !== 'nolog', otel: kind !== 'nootel' });
        await waitForGateway(gateway, dep.apiKey);
        running = apiVariant ? variant : 'base';
      } else if (kind === 'nice') execFileSync('renice', ['-n', arg ?? '10', '-p', String(ferret.pid)]);
      else if (kind === 'idle') execFileSync('chrt', ['-a', '--idle', '-p', '0', String(ferret.pid)]);
      else if (kind !== 'base') throw new Error(`unknown variant ${variant}`);
      const target = { url: `${gateway.url}/api/v1/inference/${MODEL_NAME}`, body: SINGLE_BODY, headers: { 'x-api-key': dep.apiKey } };
      await runVegeta(target, { rate: RATE, durationS: 3, connections: 32 });
      for (let run = 0; run < RUNS; run++) {
        const pids = [gateway.pid, server.pid, ferret.pid];
        const before = pids.map(processCpuMs);
        const r = await runVegeta(target, { rate: RATE, durationS: 10, connections: 32 });
        const cpu = pids.map((pid, i) => (((processCpuMs(pid) - before[i]) * 1000) / r.responses).toFixed(0)).join(' / ');
        console.log(`${variant.padEnd(10)} p50 ${r.p50.toFixed(2)}  p90 ${r.p90.toFixed(2)}  p99 ${r.p99.toFixed(2)}  max ${r.max.toFixed(1)} ms  non-2xx+errors ${r.non2xx + r.errors}  CPU µs/req api / model server / FerretDB ${cpu}`);
      }
    }
  } finally {
    await stopAll();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
