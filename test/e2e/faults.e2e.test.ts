/**
 * The faults of the fault suite (test/faults/, docs/RELIABILITY.md) that fit the test command's
 * time budget, on the suite's own stack (the `npm start` supervisor with its own FerretDB and
 * SeaweedFS S3) under steady load: freezing a model server and kill -9 of a model server, each
 * in the middle of a canary. `npm run faults` runs the rest.
 */
import fs from 'node:fs';
import path from 'node:path';
import { recordFigure } from '../helpers/e2e-figures';
import { acquireE2ELock } from '../helpers/e2e-lock';
import { makeTestDir } from '../helpers/services';
import { E2E_BEFORE_ALL_TIMEOUT_MS } from '../helpers/stack-harness';
import { FAULTS, type Fault } from '../faults/fault-catalogue';
import { runFault, setUpSuite, type FaultResult, type Suite } from '../faults/fault-run';
import { FaultStack } from '../faults/fault-stack';
import { writeSourceEntryPoints } from '../faults/source-entry-points';

jest.setTimeout(600_000);

const RPS = 20;
let dir: string;
let stack: FaultStack | undefined;
let suite: Suite | undefined;
let releaseLock: (() => void) | undefined;
const lines: string[] = [];

function fault(id: string): Fault {
  const f = FAULTS.find((x) => x.id === id);
  if (!f) throw new Error(`no fault ${id} in the catalogue`);
  return f;
}

/** The result's problems, with the stack's recent output when there are any. */
function expectNoProblems(r: FaultResult): void {
  const summary = `${r.title}: ${JSON.stringify({ ...r, expected: undefined })}`;
  process.stdout.write(`FAULT ${summary}\n`);
  if (r.problems.length > 0) throw new Error(`${summary}\nproblems:\n- ${r.problems.join('\n- ')}\n--- harness log:\n${lines.slice(-40).join('\n')}\n--- stack output:\n${stack?.recentOutput(4000)}`);
}

beforeAll(async () => {
  releaseLock = await acquireE2ELock(E2E_BEFORE_ALL_TIMEOUT_MS - 3 * 60_000);
  dir = makeTestDir('faults');
  stack = await FaultStack.start({ dir, distDir: writeSourceEntryPoints(dir) });
  suite = await setUpSuite(stack, { rps: RPS, log: (l) => lines.push(`${new Date().toISOString()} ${l}`) });
}, E2E_BEFORE_ALL_TIMEOUT_MS);

afterAll(async () => {
  await suite?.load.stop();
  if (stack) {
    const logs = path.join(__dirname, '..', '..', '.test-data', 'e2e-logs');
    fs.mkdirSync(logs, { recursive: true });
    fs.writeFileSync(path.join(logs, 'faults.log'), `${lines.join('\n')}\n${stack.recentOutput(256 * 1024)}`);
    await stack.stop();
  }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  releaseLock?.();
});

it('SIGSTOP of a model server for 15 s mid-canary, then SIGCONT: no failed request, none lost, the canary completes', async () => {
  const r = await runFault(suite!, fault('freeze-server-1'));
  recordFigure('fault_freeze_server_slowest_answer_seconds', r.requests.slowestMs / 1000, 's', `server-1 frozen 15 s at 25 % of a canary, ${RPS} req/s`);
  expectNoProblems(r);
  expect(r.deployment.status).toBe('Active');
  expect(r.requests.failed).toBe(0);
  expect(r.lost).toBe(0);
});

it('kill -9 of a model server mid-canary: restarted, no failed request, none lost, the canary completes, and the server serves again', async () => {
  const r = await runFault(suite!, fault('kill-server-1'));
  if (r.progressRecoveryMs !== null) recordFigure('fault_kill_server_progress_seconds', r.progressRecoveryMs / 1000, 's', `kill -9 server-1 at 25 % of a canary → next step recorded, ${RPS} req/s`);
  expectNoProblems(r);
  expect(r.deployment.status).toBe('Active');
  expect(r.requests.failed).toBe(0);
  expect(r.lost).toBe(0);
});
