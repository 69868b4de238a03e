/**
 * The local stack (`npm start`): FerretDB and the Temporal dev server (unless MONGODB_URI /
 * TEMPORAL_ADDRESS point elsewhere), then the model servers and the worker, then the api.
 * State lives in ./data (HOTSWAP_DATA_DIR). Ctrl-C, SIGTERM or (under npm) the death of npm
 * stops everything in reverse order, and a second Ctrl-C kills it all at once; a crashed child
 * is restarted with backoff; a second stack on the same data dir refuses to start; after a
 * crash of the stack itself, its orphaned children are stopped.
 */
import fs from 'node:fs';
import path from 'node:path';
import { formatBanner } from './banner';
import { assertPortsFree, PortInUseError } from './free-port';
import { prefixedSink } from './log-output';
import { killStaleProcesses } from './pid-files';
import { ManagedProcess, ProcessStartError, type SupervisorEvent } from './process-supervisor';
import { httpProbe } from './probes';
import { repoRoot } from './repo-paths';
import { loadOrCreateSecrets } from './secrets';
import { ferretDb } from './services/ferretdb';
import { temporalDevServer } from './services/temporal-dev-server';
import { acquireStackLock, StackAlreadyRunningError, type StackLock } from './stack-lock';
import { planStack, StackConfigError, type StackPlan } from './stack-plan';
import { listenForStopRequests, type StopReason } from './stop-requests';

const NAME_WIDTH = 8;
const RESTART = { initialDelayMs: 1000, maxDelayMs: 30_000, resetAfterMs: 60_000 };

const log = prefixedSink('stack', 0, NAME_WIDTH);
const say = (msg: string) => log(msg, 'stdout');

function describeEvent(e: SupervisorEvent): string | undefined {
  switch (e.type) {
    case 'ready':
      return e.restart === 0 ? `${e.name} ready in ${(e.ms / 1000).toFixed(1)}s (pid ${e.pid})` : `${e.name} is back after restart #${e.restart} (pid ${e.pid})`;
    case 'exited':
      return e.expected ? undefined : `${e.name} (pid ${e.pid}) exited unexpectedly with ${e.signal ? `signal ${e.signal}` : `code ${e.code}`}`;
    case 'restarting':
      return `restarting ${e.name} in ${(e.delayMs / 1000).toFixed(0)}s (restart #${e.restart})`;
    case 'restart-failed':
      return `${e.name} restart #${e.restart} failed: ${e.error.message}`;
  }
}

/** Builds the supervised processes, grouped in start order. */
function buildStages(plan: StackPlan): ManagedProcess[][] {
  let colour = 1;
  const common = (name: string) => ({
    output: prefixedSink(name, colour++, NAME_WIDTH),
    pidFile: path.join(plan.runDir, `${name}.pid`),
    restart: RESTART,
    onEvent: (e: SupervisorEvent) => {
      const msg = describeEvent(e);
      if (msg) say(msg);
    },
  });
  const infra: ManagedProcess[] = [];
  if (plan.ferretdb) infra.push(ferretDb({ ...common('ferretdb'), dataDir: plan.ferretdb.dataDir, port: plan.ferretdb.port }).process);
  if (plan.temporal) {
    infra.push(
      temporalDevServer({ ...common('temporal'), dataDir: plan.temporal.dataDir, port: plan.temporal.port, uiPort: plan.temporal.uiPort }).process,
    );
  }
  const project = (stage: 1 | 2) =>
    plan.processes
      .filter((p) => p.stage === stage)
      .map(
        (p) =>
          new ManagedProcess({
            ...common(p.name),
            name: p.name,
            command: process.execPath,
            args: ['--enable-source-maps', p.script],
            cwd: path.dirname(plan.distDir),
            env: p.env,
            listens: [p.listen],
            ready: httpProbe(p.readyUrl),
            readyTimeoutMs: 60_000,
            stopGraceMs: 10_000,
          }),
      );
  return [infra, project(1), project(2)].filter((s) => s.length > 0);
}

export async function runStack(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const t0 = Date.now();
  const root = repoRoot();
  const dataDir = path.resolve(env.HOTSWAP_DATA_DIR || path.join(root, 'data'));
  fs.mkdirSync(dataDir, { recursive: true });
  const runDir = path.join(dataDir, 'run');

  let lock: StackLock;
  try {
    lock = acquireStackLock(runDir, dataDir);
  } catch (e) {
    if (e instanceof StackAlreadyRunningError) {
      say(e.message);
      return 1;
    }
    throw e;
  }

  let stages: ManagedProcess[][] = [];
  let resolveStop!: (reason: StopReason) => void;
  const stopRequested = new Promise<StopReason>((r) => (resolveStop = r));
  let stopping = false;
  // Last resort, and what a second Ctrl-C does: SIGKILL every child's group, clean the run dir.
  const killEverything = () => {
    for (const stage of stages) for (const p of stage) p.killNow();
    lock.release();
  };
  const stopRequests = listenForStopRequests({
    onStop: (reason) => {
      stopping = true;
      resolveStop(reason);
    },
    onForce: () => {
      killEverything();
      say('killed');
      process.exit(130);
    },
    // Under `npm start` npm is the parent: if it dies (kill -9, a closed terminal), so do we.
    watchParent: env.HOTSWAP_STOP_WITH_PARENT ? env.HOTSWAP_STOP_WITH_PARENT === '1' : env.npm_lifecycle_event !== undefined,
    log: say,
  });
  process.on('exit', killEverything);

  let exitCode = 0;
  try {
    const stale = await killStaleProcesses(runDir);
    if (lock.stale || stale.length > 0) {
      const what = stale.length ? `stopped ${stale.length} leftover process(es): pids ${stale.map((s) => s.pid).join(', ')}` : 'nothing left running';
      say(`previous stack${lock.stale ? ` (pid ${lock.stale.pid})` : ''} did not shut down cleanly; ${what}`);
    }

    const { secrets, created } = loadOrCreateSecrets(path.join(dataDir, 'secrets.json'));
    if (created) say(`generated secrets in ${path.join(dataDir, 'secrets.json')} (mode 0600)`);
    const plan = planStack({ ...env, HOTSWAP_DATA_DIR: dataDir }, secrets, { root });

    const missing = plan.processes.map((p) => p.script).filter((s) => !fs.existsSync(s));
    if (missing.length > 0) {
      say(`${[...new Set(missing)].map((m) => (m.startsWith(root + path.sep) ? path.relative(root, m) : m)).join(', ')} not found: run \`npm run build\` first (scripts/start.sh does)`);
      return (exitCode = 1);
    }
    await assertPortsFree(plan.ports);

    stages = buildStages(plan);
    say(`starting ${stages.flat().map((p) => p.name).join(', ')} (data dir ${plan.dataDir})`);
    for (const stage of stages) {
      const starting = Promise.all(stage.map((p) => p.start()));
      starting.catch(() => undefined); // a start cut short by Ctrl-C rejects after we stopped listening
      const outcome = await Promise.race([starting.then(() => 'started' as const), stopRequested.then(() => 'stop' as const)]);
      if (outcome === 'stop') break;
    }
    if (!stopping) {
      process.stdout.write(`${formatBanner(plan, Date.now() - t0)}\n`);
      await stopRequested;
    }
  } catch (e) {
    exitCode = 1;
    if (e instanceof PortInUseError || e instanceof StackConfigError) say(e.message);
    else if (e instanceof ProcessStartError) say(`${e.message}; stopping the rest`);
    else say(`failed: ${(e as Error).stack ?? String(e)}`);
  } finally {
    for (const stage of [...stages].reverse()) await Promise.all(stage.map((p) => p.stop()));
    if (stages.length > 0) say(exitCode === 0 ? 'stopped' : 'stopped after an error');
    lock.release();
    stopRequests.dispose();
    process.off('exit', killEverything);
  }
  return exitCode;
}

if (require.main === module) {
  runStack().then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`stack: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
