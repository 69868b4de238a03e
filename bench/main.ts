/**
 * `npm run bench` (scripts/bench.sh builds, then runs this): starts the real processes, drives
 * load at them from this process, and prints / records the tables.
 *
 * Environment:
 *   BENCH_QUICK=1            smoke run (2 s warm-up, 3 s measured); does not rewrite the doc
 *   BENCH_DURATION=10        measured seconds per scenario
 *   BENCH_FIXED_DURATION=30  measured seconds of each vegeta fixed-rate run (30,000 requests at 1,000 req/s)
 *   BENCH_WARMUP=10          warm-up seconds per scenario
 *   BENCH_CONNECTIONS=32     concurrent connections of the closed-loop runs
 *   BENCH_COST_ROUNDS=3      closed-loop runs of each gateway, log + metrics off and on, in alternating order
 *   BENCH_RATE=1000          the fixed-rate scenario's req/s
 *   BENCH_BATCH_ROWS=100     rows per batch request / raw ORT run
 *   BENCH_QUIET_WAIT=120     before each scenario, wait up to this long (s) for other processes on the
 *                            machine to use at most BENCH_QUIET_CORES (0.25) cores (default 0 when quick)
 *   BENCH_WRITE_DOC=1|0      rewrite docs/PERFORMANCE.md's generated sections (default: 1, 0 when quick)
 *   BENCH_KEEP_TMP=1         keep the temp dir (process logs, FerretDB data)
 *   BENCH_API_NODE_ARGS      extra node flags for the api processes (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")
 *   BENCH_MODEL_SERVER_NODE_ARGS  the same for the model server process
 *   BENCH_GENERATOR_NICE     niceness added to the load generator while it measures (default -10; 0 = off)
 *   BENCH_API_ENV            extra settings for the api processes ("NAME=value NAME2=value", e.g. "PREDICTION_LOG_FLUSH_MS=100")
 * `--quick` on the command line is BENCH_QUICK=1.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { PredictionLogRepository } from '../infra/mongo/prediction-log-repository';
import { repoRoot, toolsDir } from '../ops/repo-paths';
import { MODEL_NAME, MODEL_VERSION, sampleRows, SINGLE_BODY } from './fixture';
import { runAutocannon, runVegeta, type LoadResult, type Target } from './load';
import { delta, loadAverage, processMemory, snapshot } from './proc-stats';
import type { RawRun } from './raw-ort-batch';
import { floors, renderTables, writePerformanceDoc, type BenchContext, type BenchResults, type Measured } from './report';
import { deploy, killAllNow, postJson, runningPids, sharedSettings, startBaseline, startBaselineProxy, startFerret, startGateway, startModelServer, stopAll, stopProc, waitForGateway, type Deployment, type Proc } from './stack';

const quick = process.env.BENCH_QUICK === '1' || process.argv.includes('--quick');
const num = (name: string, def: number) => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? def : Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number (got ${raw})`);
  return n;
};
const WARMUP_S = num('BENCH_WARMUP', quick ? 2 : 10);
const DURATION_S = num('BENCH_DURATION', quick ? 3 : 10);
/**
 * The fixed-rate runs measure longer than the closed-loop ones: a p99 over 10,000 requests
 * moved by ±1.5 ms between 10-s runs of the same code here (docs/PERFORMANCE.md), 30 s gives it
 * three times the sample.
 */
const FIXED_S = num('BENCH_FIXED_DURATION', quick ? DURATION_S : 30);
const CONNECTIONS = num('BENCH_CONNECTIONS', 32);
/** Alternating closed-loop runs of each gateway (log + metrics off / on) for the log's cost. */
const COST_ROUNDS = num('BENCH_COST_ROUNDS', quick ? 1 : 3);
const RATE = num('BENCH_RATE', 1000);
const BATCH_ROWS = num('BENCH_BATCH_ROWS', 100);
const QUIET_CORES = num('BENCH_QUIET_CORES', 0.25);
const GENERATOR_NICE = Number(process.env.BENCH_GENERATOR_NICE ?? -10);
const QUIET_WAIT_S = Number(process.env.BENCH_QUIET_WAIT ?? (quick ? 0 : 120));
const WRITE_DOC = process.env.BENCH_WRITE_DOC ? process.env.BENCH_WRITE_DOC === '1' : !quick;

const say = (msg: string) => process.stdout.write(`[bench] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Before a scenario: waits until the given processes are (nearly) idle — e.g. FerretDB done
 * writing the last run's prediction log — and, up to QUIET_WAIT_S, until the rest of the
 * machine is quiet too (other people's tests share these cores; the tables show how much
 * CPU they took during each measured run either way).
 */
async function settle(procs: Proc[]): Promise<void> {
  const ownDeadline = Date.now() + 60_000;
  const quietDeadline = Date.now() + QUIET_WAIT_S * 1000;
  let waitedForOthers = false;
  for (;;) {
    const pids = runningPids();
    const a = snapshot(pids);
    await sleep(1000);
    const d = delta(a, snapshot(pids));
    let onPath = 0;
    for (const p of procs) onPath += d.byPid.get(p.pid) ?? 0;
    const ownIdle = onPath / d.wallMs < 0.05 || Date.now() > ownDeadline;
    const others = d.others / d.wallMs;
    const quiet = others <= QUIET_CORES || Date.now() > quietDeadline;
    if (ownIdle && quiet) {
      if (waitedForOthers) say(others <= QUIET_CORES ? `machine quiet (others ${others.toFixed(2)} cores)` : `gave up waiting for a quiet machine (others ${others.toFixed(2)} cores)`);
      return;
    }
    if (ownIdle && !waitedForOthers) {
      waitedForOthers = true;
      say(`waiting up to ${QUIET_WAIT_S} s for other processes to calm down (they use ${others.toFixed(2)} cores; load avg ${loadAverage()})`);
    }
  }
}

type Runner = () => Promise<LoadResult>;

/** Warm-up, then the measured run with CPU and memory of every process on the path. */
/**
 * Runs a measured load with the generator's (this process's main thread's) scheduling priority
 * raised by GENERATOR_NICE, then restores it. Clients sit on other machines in production; here
 * they share two cores with the servers, and a starved generator sends late, which the paced
 * runs charge to the servers. Only this thread is changed (Linux niceness is per thread), and
 * every server was spawned before, so none inherits it.
 */
async function withGeneratorPriority<T>(run: () => Promise<T>): Promise<T> {
  if (GENERATOR_NICE === 0) return run();
  const before = os.getPriority();
  try {
    os.setPriority(before + GENERATOR_NICE);
  } catch (e) {
    say(`could not raise the generator's priority (${(e as Error).message}); measuring at nice ${before}`);
    return run();
  }
  try {
    return await run();
  } finally {
    os.setPriority(before);
  }
}

async function measure(id: string, label: string, path_: Proc[], run: Runner, warm: Runner | undefined, rows = 1): Promise<Measured> {
  await settle(path_);
  if (warm) {
    say(`${label}: warm-up`);
    await warm();
  }
  const loadavg = loadAverage();
  say(`${label}: measuring (load avg ${loadavg})`);
  const a = snapshot(path_.map((p) => p.pid));
  const load = await withGeneratorPriority(run);
  const b = snapshot(path_.map((p) => p.pid));
  const d = delta(a, b);
  const procs = path_.map((p) => ({ name: p.name, cpuMs: d.byPid.get(p.pid) ?? NaN, rssBytes: processMemory(p.pid).rss }));
  say(`${label}: ${Math.round(load.rps)} req/s, p50 ${load.p50.toFixed(2)} ms, p99 ${load.p99.toFixed(2)} ms, non-2xx ${load.non2xx}, errors ${load.errors}`);
  // A generator in its own process (vegeta) is the load generator's CPU, not other people's.
  const generator = Number.isFinite(load.generatorCpuMs) ? load.generatorCpuMs! : 0;
  return { id, label, load, procs, loadGenCpuMs: d.self + generator, othersCpuMs: Math.max(0, d.others - generator), wallMs: d.wallMs, loadavg, rows };
}

/** The run with the median req/s (the lower middle one of an even count). */
function median(runs: Measured[]): Measured {
  const sorted = [...runs].sort((a, b) => a.load.rps - b.load.rps);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

const closedLoop = (t: Target, s: number) => () => runAutocannon(t, { connections: CONNECTIONS, durationS: s });

function runRawOrt(): Promise<{ batch: RawRun; single: RawRun }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot(), 'dist', 'bench', 'raw-ort-batch.js')], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, BENCH_BATCH_ROWS: String(BATCH_ROWS), BENCH_WARMUP_S: String(Math.min(WARMUP_S, 3)), BENCH_DURATION_S: String(DURATION_S) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`raw ORT run exited ${code}: ${err}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as { batch: RawRun; single: RawRun });
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}

/** The pinned vegeta version setup-tools installed (its stamp file). */
function vegetaVersion(): string {
  try {
    return readFileSync(path.join(toolsDir(), 'stamps', 'vegeta'), 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

function context(): BenchContext {
  const root = repoRoot();
  const version = (pkg: string) => (JSON.parse(readFileSync(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' }).trim();
    if (dirty) commit += ' + uncommitted changes';
  } catch {
    /* not a git checkout */
  }
  const cpu = os.cpus();
  const vars = ['BENCH_QUICK', 'BENCH_DURATION', 'BENCH_FIXED_DURATION', 'BENCH_COST_ROUNDS', 'BENCH_WARMUP', 'BENCH_CONNECTIONS', 'BENCH_RATE', 'BENCH_BATCH_ROWS'].filter((v) => process.env[v]).map((v) => `${v}=${process.env[v]} `);
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    commit,
    command: `${vars.join('')}npm run bench${quick && !process.env.BENCH_QUICK ? ' -- --quick' : ''}`,
    quick,
    machine: `${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Linux ${os.release()}`,
    cores: cpu.length,
    node: process.versions.node,
    ort: version('onnxruntime-node'),
    autocannon: version('autocannon'),
    vegeta: vegetaVersion(),
    connections: CONNECTIONS,
    warmupS: WARMUP_S,
    durationS: DURATION_S,
    fixedDurationS: FIXED_S,
    rate: RATE,
    batchRows: BATCH_ROWS,
    loadStart: loadAverage(),
    loadEnd: '',
  };
}

async function countPredictions(uri: string, dbName: string): Promise<number> {
  const client = await MongoClient.connect(uri, { serverSelectionTimeoutMS: 5000 });
  try {
    return await new PredictionLogRepository(client.db(dbName)).countEntries();
  } finally {
    await client.close();
  }
}

async function main(): Promise<void> {
  const ctx = context();
  say(`${quick ? 'QUICK smoke run; ' : ''}${CONNECTIONS} connections, ${WARMUP_S} s warm-up + ${DURATION_S} s per scenario; load average ${ctx.loadStart} on ${ctx.cores} cores`);
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'hotswap-bench-'));
  say(`work dir ${workDir} (process logs under logs/)`);
  const results: BenchResults = { ctx, single: [], batch: undefined, raw: undefined, fixed: [], predictionLog: undefined, sanity: [] };

  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    say(`${signal}: stopping every process`);
    void stopAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', killAllNow);

  try {
    say('starting FerretDB, B1 and the model server');
    const ferret = await startFerret(workDir);
    const shared = await sharedSettings(workDir, ferret.uri);
    const [b1, server] = await Promise.all([startBaseline(workDir), startModelServer(shared)]);

    // Set up through the first api process (it will be the one without the prediction log).
    const variants = {
      nolog: { name: 'api-nolog', predictionLog: false, otel: true },
      full: { name: 'api', predictionLog: true, otel: true },
      nootel: { name: 'api-nootel', predictionLog: true, otel: false },
    };
    let gateway = await startGateway(shared, variants.nolog);
    say('registering the model, creating an API key, loading the version, routing Production to it');
    const dep: Deployment = await deploy(shared, gateway, server);
    const gwSample = await waitForGateway(gateway, dep.apiKey);

    const msUrl = `${server.url}/v1/models/${MODEL_NAME}/versions/${MODEL_VERSION}/predict`;
    // Model servers answer inference only with the service token (as the gateway sends it).
    const msAuth = { authorization: `Bearer ${shared.serviceToken}` };
    const b1Sample = (await postJson(`${b1.url}/predict`, SINGLE_BODY)).body;
    const msSample = (await postJson(msUrl, SINGLE_BODY, msAuth)).body;
    for (const [name, s] of [['B1', b1Sample], ['model server', msSample], ['gateway', gwSample]] as const) {
      const v = s as { prediction?: { label?: unknown }; confidence?: number; cached?: boolean };
      results.sanity.push(`${name} → ${String(v.prediction?.label)} (${v.confidence?.toFixed(6)})${v.cached ? ' CACHED' : ''}`);
    }
    say(`sanity: ${results.sanity.join('; ')}`);

    const single = (url: string, headers?: Record<string, string>): Target => ({ url, body: SINGLE_BODY, headers });
    const b1Target = single(`${b1.url}/predict`);
    const msTarget = single(msUrl, msAuth);
    const gwTarget = (g: Proc) => single(`${g.url}/api/v1/inference/${MODEL_NAME}`, { 'x-api-key': dep.apiKey });

    results.single.push(await measure('b1', 'B1: bare node:http + one ORT session', [b1], closedLoop(b1Target, DURATION_S), closedLoop(b1Target, WARMUP_S)));
    results.single.push(await measure('model-server', 'Model server, native predict route', [server], closedLoop(msTarget, DURATION_S), closedLoop(msTarget, WARMUP_S)));

    // Informational: the fixed rate straight at the model server (the shortest path's tail).
    const fixedRate = (t: Target) => (s: number) => () => runVegeta(t, { rate: RATE, durationS: s, connections: CONNECTIONS });
    const vegetaMs = fixedRate(msTarget);
    const fixedMs = await measure('fixed-vegeta-ms', 'vegeta, model server directly (informational)', [server], vegetaMs(FIXED_S), vegetaMs(Math.min(WARMUP_S, 3)));
    // Informational: the least two Node hops can do at this rate (B2, a bare proxy, in front of B1).
    const b2 = await startBaselineProxy(workDir, b1.url);
    const vegetaB2 = fixedRate(single(`${b2.url}/predict`));
    const fixedB2 = await measure('fixed-vegeta-b2', 'vegeta, B2: bare node:http proxy → B1 (informational: two bare hops)', [b2, b1], vegetaB2(FIXED_S), vegetaB2(Math.min(WARMUP_S, 3)));
    await stopProc(b2);

    // Informational: the fixed rate without the prediction log, to see what the log does to the tail.
    const vegetaNolog = fixedRate(gwTarget(gateway));
    const fixedNolog = await measure('fixed-vegeta-nolog', `vegeta, prediction log + metrics OFF (informational)`, [gateway, server, ferret], vegetaNolog(FIXED_S), vegetaNolog(Math.min(WARMUP_S, 3)));

    // The log's cost: both gateways up side by side, closed-loop runs alternating (off on, on
    // off, off on): slow drifts of a shared machine hit both alike. One pair of runs moved
    // the cost between −12 % and +17 % here (docs/PERFORMANCE.md).
    const nolog = gateway;
    gateway = await startGateway(shared, variants.full);
    await waitForGateway(gateway, dep.apiKey);
    const gwResponsesBefore = await countPredictions(ferret.uri, shared.dbName);
    // Every response of the recording gateway (the sanity request included), to check the log against.
    let gwResponses = 1;
    const counted = (run: Runner): Runner => async () => {
      const r = await run();
      gwResponses += r.responses;
      return r;
    };
    const runsOf = { off: [] as Measured[], on: [] as Measured[] };
    const arms = {
      off: { id: 'gateway-nolog', label: 'Gateway → model server, prediction log + metrics OFF', proc: nolog, wrap: (r: Runner) => r },
      on: { id: 'gateway', label: 'Gateway → model server (API key, routing, prediction log, metrics)', proc: gateway, wrap: counted },
    };
    for (let round = 0; round < COST_ROUNDS; round++) {
      for (const arm of round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
        const a = arms[arm];
        // A full warm-up before each arm's first run; later runs only re-warm the connections.
        const warmS = runsOf[arm].length === 0 ? WARMUP_S : Math.min(WARMUP_S, 2);
        const label = COST_ROUNDS > 1 ? `${a.label} [run ${runsOf[arm].length + 1} of ${COST_ROUNDS}]` : a.label;
        runsOf[arm].push(await measure(a.id, label, [a.proc, server, ferret], a.wrap(closedLoop(gwTarget(a.proc), DURATION_S)), a.wrap(closedLoop(gwTarget(a.proc), warmS))));
      }
    }
    await stopProc(nolog);
    results.costRuns = { off: runsOf.off.map((m) => m.load.rps), on: runsOf.on.map((m) => m.load.rps) };
    const asRow = (arm: 'on' | 'off') => ({ ...median(runsOf[arm]), label: COST_ROUNDS > 1 ? `${arms[arm].label} (median of ${COST_ROUNDS} alternating runs)` : arms[arm].label });
    results.single.push(asRow('on'), asRow('off'));

    // The fixed rate: vegeta's open loop (the floor's meaning), and autocannon's overallRate for comparison (see docs/PERFORMANCE.md).
    const vegeta = (s: number) => counted(fixedRate(gwTarget(gateway))(s));
    const fixedVegeta = await measure('fixed-vegeta', `vegeta open loop, at most ${CONNECTIONS} connections`, [gateway, server, ferret], vegeta(FIXED_S), vegeta(Math.min(WARMUP_S, 3)));
    const acRate = counted(() => runAutocannon(gwTarget(gateway), { connections: CONNECTIONS, durationS: DURATION_S, overallRate: RATE }));
    const fixedAc = await measure('fixed-autocannon', `autocannon overallRate, ${CONNECTIONS} connections (informational)`, [gateway, server, ferret], acRate, undefined);
    results.fixed.push(fixedVegeta, fixedAc, fixedNolog, fixedMs, fixedB2);
    // Explanations next to the plain requests above: each ?explain=true request is its prediction plus ONE batch call
    // of 1 + 31 × EXPLAIN_BACKGROUND_ROWS (32) = 993 coalition rows to the model server (api/gateway/explainer.ts).
    const explainTarget: Target = { ...gwTarget(gateway), url: `${gateway.url}/api/v1/inference/${MODEL_NAME}?explain=true` };
    const explainRun = (s: number) => counted(closedLoop(explainTarget, s));
    results.single.push(
      await measure('gateway-explain', 'Gateway as above, ?explain=true (KernelSHAP: + one 993-row batch call per request)', [gateway, server, ferret], explainRun(DURATION_S), explainRun(Math.min(WARMUP_S, 3))),
    );
    await stopProc(gateway); // flushes the prediction log
    results.predictionLog = { entries: (await countPredictions(ferret.uri, shared.dbName)) - gwResponsesBefore, gatewayResponses: gwResponses };

    gateway = await startGateway(shared, variants.nootel);
    await waitForGateway(gateway, dep.apiKey);
    results.single.push(
      await measure('gateway-nootel', 'Gateway as above, OpenTelemetry not started (informational)', [gateway, server, ferret], closedLoop(gwTarget(gateway), DURATION_S), closedLoop(gwTarget(gateway), WARMUP_S)),
    );
    await stopProc(gateway);

    const batchTarget: Target = { url: `${msUrl}/batch`, body: JSON.stringify({ instances: sampleRows(BATCH_ROWS) }), headers: msAuth };
    results.batch = await measure('batch', `Model server batch route, ${BATCH_ROWS} rows/request, ${CONNECTIONS} connections`, [server], closedLoop(batchTarget, DURATION_S), closedLoop(batchTarget, WARMUP_S), BATCH_ROWS);
    await stopProc(b1);
    await settle([server, ferret]);
    say('raw in-process ORT runs');
    results.raw = await runRawOrt();
  } finally {
    ctx.loadEnd = loadAverage();
    await stopAll();
    if (process.env.BENCH_KEEP_TMP === '1') say(`kept ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  }

  const tables = renderTables(results);
  process.stdout.write(`\n${tables}\n\n`);
  for (const fl of floors(results)) say(`${fl.pass === undefined ? 'N/A ' : fl.pass ? 'PASS' : 'FAIL'}  ${fl.name}: ${fl.measured}`);
  if (WRITE_DOC) {
    const doc = path.join(repoRoot(), 'docs', 'PERFORMANCE.md');
    writePerformanceDoc(doc, results);
    say(`wrote ${path.relative(repoRoot(), doc)}`);
  } else say(`docs/PERFORMANCE.md left unchanged (${quick ? 'quick run; ' : ''}BENCH_WRITE_DOC=1 to write it)`);
}

main().then(
  () => process.exit(0),
  async (e: unknown) => {
    process.stderr.write(`[bench] FAILED: ${(e as Error).stack ?? String(e)}\n`);
    await stopAll().catch(() => undefined);
    process.exit(1);
  },
);
