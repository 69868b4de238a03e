/**
 * The `hotswap` bin as a user runs it (child processes of bin/hotswap) against a real stack (api,
 * worker, a model server): login, register the example versions, deploy with the live view in a
 * pseudo-terminal (`script` from util-linux) until Active, predict, routing, metrics, then a canary
 * watched live and rolled back from a second command: the live view ends RolledBack and exits 1.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { E2E_BEFORE_ALL_TIMEOUT_MS, startE2EStack, type E2EStack } from '../helpers/stack-harness';

jest.setTimeout(240_000);

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'hotswap');
const EXAMPLES = path.join(ROOT, 'examples', 'models', 'fraud-detection');
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

it('logs in, registers, deploys live, predicts, and a watched canary rolled back exits 1', async () => {
  const s = stack!;
  const login = await hotswap(['login', '--username', 'admin', '--password-stdin'], s.admin.password);
  expect(login.err).toBe('');
  expect(login.out).toContain(`logged in to ${s.apiUrl} as admin (Admin)`);
  expect(JSON.parse((await hotswap(['whoami', '-o', 'json'])).out)).toMatchObject({ username: 'admin', role: 'Admin' });

  for (const v of ['1.0.0', '2.0.0']) expect((await hotswap(['models', 'register', path.join(EXAMPLES, v)])).code).toBe(0);
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

  const list = JSON.parse((await hotswap(['deployments', 'list', '--all', '--output', 'json'])).out) as { deployments: { version: string; status: string }[] };
  expect(list.deployments.map((d) => `${d.version} ${d.status}`)).toEqual(['2.0.0 RolledBack', '1.0.0 Active']);
  const metrics = JSON.parse((await hotswap(['metrics', 'fraud-detection', '--window', 'PT15M', '-o', 'json'])).out) as { metrics: { totalRequests: number } };
  expect(metrics.metrics.totalRequests).toBeGreaterThanOrEqual(1);
});
