/**
 * The README walk-through, run as written: the ```bash blocks between the walk-through markers
 * of README.md go to ONE bash process (set -euo pipefail) against a real stack (api, worker, two
 * model servers as child processes), with HOTSWAP / ADMIN_PASSWORD / TEMPORAL_UI pointing at it.
 * Every block must succeed; then the end state is checked through the API and Temporal, and the
 * values the README documents as output are checked against what the commands printed.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { E2E_BEFORE_ALL_TIMEOUT_MS, startE2EStack, type E2EStack } from '../helpers/stack-harness';
import { composeBlockScript, fencedBlocks, sectionBetween, splitBlockOutput, type BlockResult } from '../helpers/markdown-blocks';
import { makeTestDir } from '../helpers/services';
import { runBash, type BashRun } from '../helpers/bash-run';

jest.setTimeout(900_000);

const ROOT = path.join(__dirname, '..', '..');
const START = '<!-- walkthrough:start -->';
const END = '<!-- walkthrough:end -->';
/** Only a link prefix here: the test Temporal server runs headless. */
const TEMPORAL_UI = 'http://temporal-ui.test:8233';
const SCRIPT_TIMEOUT_MS = 12 * 60_000;

let stack: E2EStack | undefined;
let tmp: string;

beforeAll(async () => {
  tmp = makeTestDir('readme-walkthrough');
  stack = await startE2EStack({ modelServers: 2, env: { TEMPORAL_UI_URL: TEMPORAL_UI } });
}, E2E_BEFORE_ALL_TIMEOUT_MS);

afterAll(async () => {
  await stack?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function describeFailure(blocks: { code: string; line: number }[], results: BlockResult[], run: BashRun, s: E2EStack): string {
  const failed = results.find((r) => r.started && !r.completed) ?? results.find((r) => !r.started);
  const head = run.timedOut ? `timed out after ${run.durationMs} ms` : `bash exited with ${run.exitCode ?? run.signal}`;
  if (!failed) return `${head}\n--- whole output:\n${run.output.slice(-8000)}`;
  const block = blocks[failed.index];
  return [
    `README walk-through block ${failed.index + 1} of ${blocks.length} (README.md line ${block.line}) failed: ${head}`,
    `--- the block:\n${block.code}`,
    `--- its output:\n${failed.output.slice(-8000)}`,
    `--- the stack:\n${s.outputs()}`,
  ].join('\n');
}

/** The single directory `mktemp -d` made under TMPDIR ($WALK of the walk-through). */
function walkDir(): string {
  const dirs = fs.readdirSync(tmp).filter((n) => fs.statSync(path.join(tmp, n)).isDirectory());
  if (dirs.length !== 1) throw new Error(`expected one mktemp directory in ${tmp}, found ${JSON.stringify(dirs)}`);
  return path.join(tmp, dirs[0]);
}

/** Same keys, recursively, with values of the same JSON type (the documented example's shape). */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.length > 0 ? [shapeOf(value[0])] : [];
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, shapeOf((value as Record<string, unknown>)[k])]));
  return value === null ? 'null' : typeof value;
}

async function temporalWorkflows(address: string, query: string): Promise<{ workflowId: string; runId: string; searchAttributes: Record<string, unknown> }[]> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, namespace: 'default' });
    const found: { workflowId: string; runId: string; searchAttributes: Record<string, unknown> }[] = [];
    for await (const wf of client.workflow.list({ query })) {
      found.push({ workflowId: wf.workflowId, runId: wf.runId, searchAttributes: Object.fromEntries(wf.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value])) });
    }
    return found;
  } finally {
    await connection.close();
  }
}

it('runs the README walk-through as written, and the stack ends where the README says', async () => {
  const s = stack!;
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = sectionBetween(readme, START, END);
  const all = fencedBlocks(section.text).map((b) => ({ ...b, line: b.line + section.line - 1 }));
  const blocks = all.filter((b) => b.lang === 'bash');
  expect(blocks.length).toBeGreaterThanOrEqual(10);

  const nonce = randomBytes(6).toString('hex');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: 'C.UTF-8',
    TMPDIR: tmp,
    HOTSWAP: s.apiUrl,
    ADMIN_PASSWORD: s.admin.password,
    TEMPORAL_UI,
  };
  const run = await runBash(composeBlockScript(blocks.map((b) => b.code), nonce), { cwd: ROOT, env, timeoutMs: SCRIPT_TIMEOUT_MS });
  const results = splitBlockOutput(run.output, nonce, blocks.length);
  // Measured, printed, never asserted: how long a user waits.
  console.log(`README walk-through: ${blocks.length} blocks in ${(run.durationMs / 1000).toFixed(1)} s\n${run.output.replace(new RegExp(`@@${nonce} `, 'g'), '@@ ')}`);
  if (run.exitCode !== 0 || results.some((r) => !r.completed)) throw new Error(describeFailure(blocks, results, run, s));
  const printed = results.map((r) => r.output).join('\n');

  // Step 1: the ML engineer exists with the role the README gives it.
  const users = await s.call<{ users: { id: string; username: string; role: string }[] }>('GET', '/api/v1/users', { token: s.admin.token });
  const engineer = users.body.users.find((u) => u.username === 'ml-engineer');
  expect(engineer?.role).toBe('MLEngineer');
  const admin = users.body.users.find((u) => u.username === 'admin')!;

  // Step 2: both versions registered from the example files.
  const versions = await s.call<{ versions: { version: string; checksum: string }[] }>('GET', '/api/v1/models/fraud-detection/versions', { token: s.admin.token });
  expect(versions.status).toBe(200);
  expect(versions.body.versions.map((v) => v.version).sort()).toEqual(['1.0.0', '2.0.0']);

  // Steps 3, 6, 8, 10, 11: three deployments, started by the engineer, approved by the admin.
  const list = await s.call<{ deployments: { deploymentId: string; version: string; status: string; strategy: string; environment: string }[] }>('GET', '/api/v1/deployments?model=fraud-detection&scope=all', { token: s.admin.token });
  expect(list.body.deployments.map((d) => `${d.version} ${d.strategy} ${d.environment}: ${d.status}`)).toEqual(['2.0.0 Canary Production: RolledBack', '2.0.0 Canary Production: RolledBack', '1.0.0 Canary Production: Active']);
  const [againId, canaryId, firstId] = list.body.deployments.map((d) => d.deploymentId);
  const first = (await s.call('GET', `/api/v1/deployments/${firstId}`, { token: s.admin.token })).body;
  const canary = (await s.call('GET', `/api/v1/deployments/${canaryId}`, { token: s.admin.token })).body;
  const again = (await s.call('GET', `/api/v1/deployments/${againId}`, { token: s.admin.token })).body;
  // Step 11: the completed deployment was rolled back by a workflow of its own, with who and why.
  expect(again.rollback).toMatchObject({ trigger: 'rollback-command', requestedBy: 'ml-engineer', errors: [] });
  expect(again.history).toEqual(expect.arrayContaining([expect.objectContaining({ step: 'retirePrevious', decision: 'Retired' }), expect.objectContaining({ step: 'reload', decision: 'Ready' }), expect.objectContaining({ step: 'end', decision: 'RolledBack' })]));
  expect(first.history).toEqual(expect.arrayContaining([expect.objectContaining({ decision: 'Superseded' }), expect.objectContaining({ step: 'reinstated', decision: 'Active' })]));
  for (const d of [first, canary, again]) {
    expect(d.initiatedBy).toBe(engineer!.id);
    expect(d.approval).toMatchObject({ required: true, state: 'Approved', decidedBy: admin.id, decidedByName: 'admin' });
  }
  expect(first.trafficPercentage).toBe(100);
  expect(canary.history.map((h: { decision: string }) => h.decision)).toEqual(expect.arrayContaining(['Approved', 'Paused', 'Rollback', 'RolledBack']));
  expect(canary.rollback).toMatchObject({ trigger: 'rollback-command' });
  expect(canary.rollback.durationMs).toEqual(expect.any(Number));
  expect(canary.rollback.trafficRestoredAt).toEqual(expect.any(String));
  expect(canary.temporalUiUrl.startsWith(`${TEMPORAL_UI}/namespaces/default/workflows/`)).toBe(true);

  // The rollback happened: only 1.0.0 is routed, and it is the model's active version.
  const routing = await s.call<{ pools: { version: string; weight: number }[] }>('GET', '/api/v1/routing/fraud-detection/Production', { token: s.admin.token });
  expect(routing.body.pools.filter((p) => p.weight > 0).map((p) => [p.version, p.weight])).toEqual([['1.0.0', 100]]);
  const model = await s.call<{ activeVersion: string }>('GET', '/api/v1/models/fraud-detection', { token: s.admin.token });
  expect(model.body.activeVersion).toBe('1.0.0');

  // Step 4: the answer has the documented shape and the documented values.
  const walk = walkDir();
  const inference = JSON.parse(fs.readFileSync(path.join(walk, 'inference.json'), 'utf8'));
  const documented = JSON.parse(all.find((b) => b.lang === 'json')!.code);
  expect(shapeOf(inference)).toEqual(shapeOf(documented));
  expect(inference).toMatchObject({ modelName: documented.modelName, version: documented.version });
  expect(inference.prediction.label).toBe(documented.prediction.label);
  const probabilities = inference.prediction.probabilities as Record<string, number>;
  expect(Object.keys(probabilities).sort()).toEqual(['fraud', 'legit']);
  // The model is deterministic: the documented probabilities (6 decimals) are the real ones.
  for (const label of ['fraud', 'legit']) expect(probabilities[label]).toBeCloseTo(documented.prediction.probabilities[label], 5);
  expect(probabilities.fraud + probabilities.legit).toBeCloseTo(1, 5);
  expect(inference.confidence).toBe(Math.max(probabilities.fraud, probabilities.legit));

  // Step 5 and 10: the load saw no failure, and both versions answered while the canary ran.
  const load = fs.readFileSync(path.join(walk, 'load.log'), 'utf8').trim().split('\n');
  expect(load.filter((l) => !/^200 (1\.0\.0|2\.0\.0)$/.test(l))).toEqual([]);
  expect(load.filter((l) => l === '200 2.0.0').length).toBeGreaterThanOrEqual(20);
  expect(load.filter((l) => l === '200 1.0.0').length).toBeGreaterThanOrEqual(20);

  // Step 7: the printed link is the documented query, and that query (phase aside) finds the canary.
  const query = 'ModelName = "fraud-detection" AND DeploymentPhase = "AwaitingApproval"';
  expect(printed).toContain(`${TEMPORAL_UI}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
  const runId = decodeURIComponent(canary.temporalUiUrl.split('/').at(-2));
  const finalQuery = `${query.replace('"AwaitingApproval"', '"RolledBack"')} AND TaskQueue = "${s.taskQueue}"`;
  let found: Awaited<ReturnType<typeof temporalWorkflows>> = [];
  for (let i = 0; i < 40 && !found.some((w) => w.runId === runId); i++) {
    found = await temporalWorkflows(s.temporalAddress, finalQuery);
    if (!found.some((w) => w.runId === runId)) await new Promise((r) => setTimeout(r, 500));
  }
  const canaryRun = found.find((w) => w.runId === runId);
  expect(canaryRun?.searchAttributes).toMatchObject({ ModelName: 'fraud-detection', ModelVersion: '2.0.0', DeploymentStrategy: 'Canary', Environment: 'Production', DeploymentPhase: 'RolledBack' });

  // Step 9: metrics of both versions, with accuracy from the load's feedback.
  const metrics = await s.call<{ versions: { version: string; metrics: { totalRequests: number; failedInferences: number; accuracy: number | null; labelledCount: number } }[] }>('GET', '/api/v1/models/fraud-detection/metrics?window=PT1H&environment=Production', { token: s.admin.token });
  const byVersion = Object.fromEntries(metrics.body.versions.map((v) => [v.version, v.metrics]));
  for (const v of ['1.0.0', '2.0.0']) {
    expect(byVersion[v].failedInferences).toBe(0);
    expect(byVersion[v].labelledCount).toBeGreaterThanOrEqual(10);
    expect(byVersion[v].accuracy).toEqual(expect.any(Number));
  }

  // What the README says the commands print.
  expect(printed).toContain('Active (Active) step: -, traffic on 1.0.0: 100%');
  // Every status line names the version, from the first poll on (not the version id the workflow starts with).
  expect(printed.split('\n').filter((l) => /\) step: .*, traffic on /.test(l) && !/, traffic on (1|2)\.0\.0: \d+%$/.test(l))).toEqual([]);
  expect(printed).toMatch(/"status": "RolledBack"/);
  expect(printed).toMatch(/"previousVersion": "2\.0\.0"/);
  expect(printed).toMatch(/"currentVersion": "1\.0\.0"/);
  expect(printed).toMatch(/"trigger": "rollback-command"/);
  expect(printed).toMatch(/"durationMs": \d/);
  expect(printed).toContain('served by 1.0.0');
  expect(printed).toContain('2.0.0 Canary Production: RolledBack\n1.0.0 Canary Production: Active');
  expect(printed).toContain('1.0.0 is Deprecated');
  expect(printed).toMatch(/"requestedBy": "ml-engineer"/);
  expect(printed).toContain('after the rollback: served by 1.0.0');
  expect(printed).toContain('current: 1.0.0 Canary Production: Active');
  expect(printed).not.toContain('current: 2.0.0');
  expect(printed).toMatch(/Paused: [1-9]\d*% of the traffic on 2\.0\.0/);
  expect(printed).toContain('approval by the ML engineer: HTTP 403');
});
