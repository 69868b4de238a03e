/**
 * The `hotswap` bin as a user runs it (child processes of bin/hotswap) against one real stack (api,
 * worker, a model server). First the README's CLI walk-through, block by block in one bash (as
 * the README walk-through test runs the curl one), in Production. Then, in Development with the
 * versions it registered, the live view in a pseudo-terminal (`script` from util-linux): a deploy
 * redrawn until Active (exit 0), and a canary rolled back from a second command (exit 1).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runBash } from '../helpers/bash-run';
import { composeBlockScript, fencedBlocks, sectionBetween, splitBlockOutput } from '../helpers/markdown-blocks';
import { E2E_BEFORE_ALL_TIMEOUT_MS, startE2EStack, type E2EStack } from '../helpers/stack-harness';

jest.setTimeout(360_000);

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'hotswap');
const TEMPORAL_UI = 'http://temporal-ui.test:8233';
/** Cursor up / erase line: what log-update writes to redraw a frame in place. */
const ESC = String.fromCharCode(27);
const REDRAW = new RegExp(`${ESC}\\[1A|${ESC}\\[2K`);

let stack: E2EStack | undefined;
let home: string;

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'hotswap-cli-e2e-'));
  stack = await startE2EStack({ modelServers: 1, env: { TEMPORAL_UI_URL: TEMPORAL_UI } });
}, E2E_BEFORE_ALL_TIMEOUT_MS);

afterAll(async () => {
  await stack?.stop();
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

function cliEnv(): NodeJS.ProcessEnv {
  // HOTSWAP_DIST_DIR names no build: the bin runs these sources (through tsx), not an older dist/.
  return { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', HOTSWAP_API: stack!.apiUrl, HOTSWAP_DIST_DIR: path.join(home, 'no-build'), TERM: 'xterm-256color' };
}

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Runs a command to its end with stdin `input`; `onOutput` sees stdout as it grows. */
function run(command: string, args: string[], input = '', onOutput?: (out: string) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, env: cliEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      onOutput?.(out);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdin.end(input);
    child.once('close', (code) => resolve({ code, out, err }));
  });
}

const hotswap = (args: string[], input = '') => run(process.execPath, [BIN, ...args], input);

/** The command line in a pseudo-terminal of 40 × 160: stdout is a TTY, as in a terminal. */
const inTerminal = (args: string[], onOutput?: (out: string) => void) =>
  run('script', ['-qfec', `stty rows 40 cols 160; ${[process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ')}`, '/dev/null'], '', onOutput);

it("runs the README's CLI walk-through as written", async () => {
  const s = stack!;
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = sectionBetween(readme, '<!-- cli-walkthrough:start -->', '<!-- cli-walkthrough:end -->');
  const blocks = fencedBlocks(section.text).filter((b) => b.lang === 'bash');
  expect(blocks.length).toBeGreaterThanOrEqual(6);
  const nonce = randomBytes(6).toString('hex');
  const env = { ...cliEnv(), TMPDIR: home, HOTSWAP: s.apiUrl, HOTSWAP_API: '', ADMIN_PASSWORD: s.admin.password };
  const run = await runBash(composeBlockScript(blocks.map((b) => b.code), nonce), { cwd: ROOT, env, timeoutMs: 300_000 });
  const results = splitBlockOutput(run.output, nonce, blocks.length);
  const failed = results.find((r) => !r.completed);
  if (run.exitCode !== 0 || failed) {
    throw new Error(`README CLI walk-through block ${(failed?.index ?? -1) + 1} failed (bash: ${run.exitCode ?? run.signal}${run.timedOut ? ', timed out' : ''}):\n${blocks[failed?.index ?? 0].code}\n--- output:\n${run.output.slice(-6000)}\n--- stack:\n${s.outputs(3000)}`);
  }
  const printed = results.map((r) => r.output).join('\n');
  console.log(`README CLI walk-through: ${blocks.length} blocks in ${(run.durationMs / 1000).toFixed(1)} s`);

  // What the README says the commands print.
  expect(printed).toContain('Active: 1.0.0 serves 100% of Production');
  expect(printed).toMatch(/^fraud-detection 1\.0\.0: label fraud \(confidence 0\.999994\)$/m);
  expect(printed).toMatch(/^error: .* \(FORBIDDEN\) — .*$/m);
  expect(printed).toContain('refused: exit 1');
  expect(printed).toMatch(/^1\.0\.0\s+75%\s+primary$/m);
  expect(printed).toMatch(/^2\.0\.0\s+25%\s+canary$/m);
  expect(printed).toContain('the gate failed: exit 1');
  expect(printed).toContain('RolledBack: rollback requested by ml-engineer: walk-through: back to 1.0.0 (trigger rollback-command');
  expect(printed).toMatch(/^\S+\s+fraud-detection\s+2\.0\.0\s+Canary\s+Production\s+RolledBack\s/m);
  expect(printed).toMatch(/^\S+\s+fraud-detection\s+1\.0\.0\s+Canary\s+Production\s+Active\s/m);

  // And the stack ends where the story says: both started by the engineer, approved by the admin.
  const list = await s.call<{ deployments: { deploymentId: string; version: string; status: string }[] }>('GET', '/api/v1/deployments?model=fraud-detection&scope=all', { token: s.admin.token });
  expect(list.body.deployments.map((d) => `${d.version} ${d.status}`)).toEqual(['2.0.0 RolledBack', '1.0.0 Active']);
  for (const { deploymentId } of list.body.deployments) {
    const d = (await s.call('GET', `/api/v1/deployments/${deploymentId}`, { token: s.admin.token })).body;
    expect(d.approval).toMatchObject({ state: 'Approved', decidedByName: 'admin' });
  }
});

it('shows the live view in a terminal: redrawn until Active (exit 0), and a rolled-back canary exits 1', async () => {
  const s = stack!;
  const login = await hotswap(['login', '--username', 'admin', '--password-stdin'], s.admin.password);
  expect(login.err).toBe('');
  expect(login.out).toContain(`logged in to ${s.apiUrl} as admin (Admin)`);
  expect(JSON.parse((await hotswap(['whoami', '-o', 'json'])).out)).toMatchObject({ username: 'admin', role: 'Admin' });
  // The walk-through registered both versions.
  expect((await hotswap(['versions', 'list', 'fraud-detection'])).out).toMatch(/^2\.0\.0\s/m);

  // The first version: the live view redraws in place until Active, then exits 0.
  const first = await inTerminal(['deploy', 'fraud-detection', '1.0.0', '--strategy', 'canary', '--env', 'development', '--watch', '--interval', '300']);
  expect(first.code).toBe(0);
  expect(first.out).toMatch(REDRAW);
  expect(first.out).toContain('Active: 1.0.0 serves 100% of Development');
  expect(first.out).toContain(`Temporal: `);
  expect(first.out).toContain(`${TEMPORAL_UI}/namespaces/default/workflows/`);

  const prediction = await hotswap(['predict', 'fraud-detection', '--env', 'development', '--features', 'transaction_amount=1500', 'merchant_category=retail', 'user_age_days=365', 'transaction_hour=14', 'is_international=false']);
  expect(prediction.err).toBe('');
  expect(prediction.out).toMatch(/^fraud-detection 1\.0\.0: label fraud \(confidence 0\.99\d+\)$/m);
  const routing = await hotswap(['routing', 'show', 'fraud-detection', 'development']);
  expect(routing.out).toMatch(/^1\.0\.0\s+100%\s+primary$/m);

  // A canary watched live; a second command rolls it back while it analyses at 50 %.
  fs.writeFileSync(path.join(home, 'canary.json'), JSON.stringify({ initialPercentage: 50, incrementStep: 50, monitoringDuration: 'PT5M' }));
  let rolledBack: Promise<Run> | undefined;
  const canary = await inTerminal(
    ['deploy', 'fraud-detection', '2.0.0', '--strategy', 'Canary', '--env', 'Development', '--config', path.join(home, 'canary.json'), '--watch', '--interval', '300'],
    (out) => {
      const id = /started deployment (\S+)/.exec(out)?.[1];
      if (!rolledBack && id && /2\.0\.0 \(candidate\)\s+█+░*\s+50%/.test(out)) rolledBack = hotswap(['rollback', id, '--reason', 'cli e2e: back to 1.0.0']);
    },
  );
  expect(rolledBack).toBeDefined();
  expect((await rolledBack!).code).toBe(0);
  expect(canary.code).toBe(1);
  expect(canary.out).toMatch(REDRAW);
  expect(canary.out).toContain('step ');
  expect(canary.out).toContain('1.0.0 (stable)');
  expect(canary.out).toContain('RolledBack: rollback requested by admin: cli e2e: back to 1.0.0 (trigger rollback-command, traffic restored in ');

  const list = JSON.parse((await hotswap(['deployments', 'list', '--all', '--env', 'development', '--output', 'json'])).out) as { deployments: { version: string; status: string }[] };
  expect(list.deployments.map((d) => `${d.version} ${d.status}`)).toEqual(['2.0.0 RolledBack', '1.0.0 Active']);
  const metrics = JSON.parse((await hotswap(['metrics', 'fraud-detection', '--window', 'PT15M', '-o', 'json'])).out) as { metrics: { totalRequests: number } };
  expect(metrics.metrics.totalRequests).toBeGreaterThanOrEqual(1);
});
