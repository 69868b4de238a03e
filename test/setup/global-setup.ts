/**
 * Starts the real services once per jest run, in parallel, on free ports, with state in a
 * fresh .test-data/<timestamp>-<pid>/: FerretDB, the Temporal dev server (HotSwap search
 * attributes registered) and SeaweedFS S3. Tests find them through HOTSWAP_TEST_* variables,
 * which jest workers inherit. Service logs go to files in that folder.
 *
 * HOTSWAP_TEST_SERVICES=0 skips them (unit tests only); so does a run whose path filters all
 * point into test/unit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../../ops/free-port';
import { fileSink } from '../../ops/log-output';
import { isRecordedProcessAlive, killStaleProcesses, readPidFile, writePidFile } from '../../ops/pid-files';
import { ProcessStartError, type ManagedProcess } from '../../ops/process-supervisor';
import { repoRoot, toolPath, toolsDir } from '../../ops/repo-paths';
import { ferretDb } from '../../ops/services/ferretdb';
import { seaweedFs } from '../../ops/services/seaweedfs';
import { temporalDevServer } from '../../ops/services/temporal-dev-server';

export interface TestServices {
  dir: string;
  processes: ManagedProcess[];
}

/** Handles survive from global setup to global teardown on globalThis (same process). */
const slot = globalThis as { __HOTSWAP_TEST_SERVICES__?: TestServices };

export function takeTestServices(): TestServices | undefined {
  const services = slot.__HOTSWAP_TEST_SERVICES__;
  slot.__HOTSWAP_TEST_SERVICES__ = undefined;
  return services;
}

const ABANDONED_WITHOUT_OWNER_MS = 10 * 60_000;
const SERVICE_START_ATTEMPTS = 3;

/** Runs whose jest process is gone (killed before teardown) leave services and folders behind. */
async function cleanUpAbandonedRuns(base: string): Promise<void> {
  let entries: string[];
  try {
    entries = fs.readdirSync(base);
  } catch {
    return;
  }
  await Promise.all(
    entries.map(async (name) => {
      const dir = path.join(base, name);
      const owner = readPidFile(path.join(dir, 'owner.pid'));
      if (owner ? isRecordedProcessAlive(owner) : Date.now() - fs.statSync(dir).mtimeMs < ABANDONED_WITHOUT_OWNER_MS) return;
      await killStaleProcesses(path.join(dir, 'run'), { graceMs: 2000 });
      fs.rmSync(dir, { recursive: true, force: true });
    }),
  );
}

function onlyUnitTests(globalConfig: unknown): boolean {
  const patterns = (globalConfig as { testPathPatterns?: { patterns?: string[] } | string[] } | undefined)?.testPathPatterns;
  const list = Array.isArray(patterns) ? patterns : patterns?.patterns;
  return !!list && list.length > 0 && list.every((p) => /^(\.\/)?test\/unit(\/|$)/.test(p));
}

export default async function globalSetup(globalConfig?: unknown): Promise<void> {
  // The AWS SDK warns once per process that Node 20 support ends in 2027: noise in every test run.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  if (process.env.HOTSWAP_TEST_SERVICES === '0' || onlyUnitTests(globalConfig)) return;
  const t0 = Date.now();
  const root = repoRoot();
  const base = path.join(root, '.test-data');
  await cleanUpAbandonedRuns(base);

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = path.join(base, `${stamp}-${process.pid}`);
  fs.mkdirSync(path.join(dir, 'run'), { recursive: true });
  writePidFile(path.join(dir, 'owner.pid'), { pid: process.pid, command: process.argv[0], startedAt: new Date().toISOString(), owner: process.pid });

  const testServer = toolPath('temporal-test-server');
  const common = (name: string) => ({
    dataDir: path.join(dir, name),
    output: fileSink(path.join(dir, 'logs', `${name}.log`)),
    pidFile: path.join(dir, 'run', `${name}.pid`),
    restart: false as const,
  });
  const processes: ManagedProcess[] = [];
  slot.__HOTSWAP_TEST_SERVICES__ = { dir, processes };
  // Why attempts: ports are picked free, then bound by the service a moment later; in between an
  // outgoing connection (ephemeral ports share the range) or another program may take one.
  const start = async <T extends { process: ManagedProcess }>(make: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      const service = await make();
      processes.push(service.process);
      try {
        await service.process.start();
        return service;
      } catch (e) {
        await service.process.stop();
        const clash = e instanceof ProcessStartError && e.recentOutput.some((l) => /address already in use/i.test(l));
        if (!clash || attempt >= SERVICE_START_ATTEMPTS) throw e;
      }
    }
  };
  const results = await Promise.allSettled([
    start(async () => ferretDb({ ...common('ferretdb'), port: await freePort() })),
    start(async () => temporalDevServer({ ...common('temporal'), port: await freePort(), persist: false })),
    start(() => seaweedFs(common('seaweedfs'))),
  ]);
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failures.length > 0) {
    await Promise.all(processes.map((p) => p.stop()));
    const details = failures
      .map((e) => `${e.message}${e instanceof ProcessStartError ? `\n  last output:\n    ${e.recentOutput.slice(-15).join('\n    ')}` : ''}`)
      .join('\n');
    throw new Error(`test services did not start (logs in ${path.join(dir, 'logs')}):\n${details}`);
  }
  const [mongo, temporal, s3] = results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [
    ReturnType<typeof ferretDb>,
    ReturnType<typeof temporalDevServer>,
    Awaited<ReturnType<typeof seaweedFs>>,
  ];

  Object.assign(process.env, {
    HOTSWAP_TEST_MONGODB_URI: mongo.uri,
    HOTSWAP_TEST_TEMPORAL_ADDRESS: temporal.address,
    HOTSWAP_TEST_S3_ENDPOINT: s3.endpoint,
    HOTSWAP_TEST_S3_REGION: s3.region,
    HOTSWAP_TEST_S3_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    HOTSWAP_TEST_S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    HOTSWAP_TEST_TEMPORAL_TEST_SERVER: testServer,
    HOTSWAP_TEST_DATA_DIR: dir,
    HOTSWAP_TOOLS_DIR: toolsDir(),
  });
  if (process.env.HOTSWAP_TEST_VERBOSE === '1') {
    process.stdout.write(`\n[global-setup] services up in ${((Date.now() - t0) / 1000).toFixed(1)}s: mongo ${mongo.uri} temporal ${temporal.address} s3 ${s3.endpoint} (${dir})\n`);
  }
}
