/**
 * The web console (console/, served by the api at /console) in a real browser: Debian's
 * chromium, headless, driven by playwright-core (no browser download), against the real api,
 * a real Worker on the Temporal dev server and an in-process model server:
 * - sign-in (a wrong password is refused on the page), models and versions;
 * - a Production deployment: the initiator's approve is refused by four-eyes and the page says
 *   so; a second Admin approves it; the page follows it to Active without a reload;
 * - a live canary: the page shows the traffic split, the charts and their thresholds change while
 *   it runs; a DataScientist sees it without any button; pause, resume and rollback by button.
 * With HOTSWAP_CONSOLE_SCREENSHOTS=<dir> (npm run screenshots) it also saves a PNG of each page.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { NativeConnection, Worker } from '@temporalio/worker';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createActivities } from '../../activities';
import { consoleRoutes } from '../../api/console/console-routes';
import { errorHandler } from '../../api/http/error-handler';
import { repoRoot } from '../../infra/config/repo-root';
import { createLogger } from '../../infra/telemetry/logger';
import { testTemporalAddress, uniqueTaskQueue } from '../helpers/services';
import { installQuietTemporalRuntime } from '../helpers/temporal-test-env';
import { FRAUD } from '../helpers/gateway-harness';
import { startWorld, type World } from './activities-world';

const CHROMIUM = process.env.HOTSWAP_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = process.env.HOTSWAP_CONSOLE_SCREENSHOTS ? path.resolve(repoRoot(), process.env.HOTSWAP_CONSOLE_SCREENSHOTS) : null;
const GRAFANA = 'http://grafana.example.test:3000/d/hotswap';

const taskQueue = uniqueTaskQueue('console');
const bundle = mkdtempSync(path.join(tmpdir(), 'hotswap-console-'));
let w: World;
let connection: NativeConnection;
let worker: Worker;
let workerRun: Promise<void>;
let browser: Browser;
let page: Page;
const users: Record<'admin' | 'admin2' | 'engineer' | 'scientist', { username: string; password: string; token?: string }> = {
  admin: { username: 'admin', password: '' },
  admin2: { username: `admin2-${randomBytes(3).toString('hex')}`, password: randomBytes(12).toString('base64url') },
  engineer: { username: `ml-${randomBytes(3).toString('hex')}`, password: randomBytes(12).toString('base64url') },
  scientist: { username: `ds-${randomBytes(3).toString('hex')}`, password: randomBytes(12).toString('base64url') },
};

beforeAll(async () => {
  installQuietTemporalRuntime();
  // The repository's own build of the console (what npm run build runs), into a folder of this run.
  execFileSync(process.execPath, [path.join(repoRoot(), 'console', 'build.mjs'), bundle], { stdio: 'pipe' });
  const launched = chromium.launch({ executablePath: CHROMIUM, headless: true });
  w = await startWorld({
    servers: 1,
    apiEnv: { TEMPORAL_TASK_QUEUE: taskQueue, CONSOLE_DIR: bundle, GRAFANA_URL: GRAFANA, RATE_LIMIT_DEPLOY_PER_MIN: '1000', RATE_LIMIT_LOGIN_PER_MIN: '1000', RATE_LIMIT_INFERENCE_PER_MIN: '100000', DEPLOYMENT_QUERY_TIMEOUT_MS: '1000', DEPLOYMENT_COMMAND_TIMEOUT_MS: '60000' },
  });
  connection = await NativeConnection.connect({ address: testTemporalAddress() });
  worker = await Worker.create({ connection, taskQueue, workflowsPath: require.resolve('../../workflows'), activities: createActivities(w.deps) });
  workerRun = worker.run();
  users.admin.password = (w.t as unknown as { adminPassword: string }).adminPassword;
  const roles = { admin2: 'Admin', engineer: 'MLEngineer', scientist: 'DataScientist' } as const;
  for (const [key, role] of Object.entries(roles) as [keyof typeof roles, string][]) {
    const u = users[key];
    const created = await w.t.call('POST', '/api/v1/users', { token: w.admin, body: { username: u.username, password: u.password, role } });
    expect(created.status).toBe(201);
  }
  users.admin.token = w.admin;
  users.engineer.token = (await w.t.call('POST', '/api/v1/authentication/login', { body: { username: users.engineer.username, password: users.engineer.password } })).body.token;
  browser = await launched;
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerRun?.catch(() => undefined);
  await connection?.close();
  await w?.close();
  rmSync(bundle, { recursive: true, force: true });
}, 60_000);

async function shot(p: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function signIn(p: Page, who: keyof typeof users): Promise<void> {
  await p.goto(`${w.t.url}/console`);
  await p.fill('input[name=username]', users[who].username);
  await p.fill('input[name=password]', users[who].password);
  await p.click('button[type=submit]');
  await p.waitForSelector('header .who');
}

async function signOut(p: Page): Promise<void> {
  await p.click('button.sign-out');
  await p.waitForSelector('main.login');
}

const status = (p: Page) => p.getAttribute('section.deployment', 'data-status');
const candidatePercent = async (p: Page) => Number(await p.getAttribute('.traffic', 'data-candidate-percent'));
const buttons = (p: Page) => p.$$eval('.commands button', (b) => b.map((x) => x.getAttribute('data-command')));
const waitForStatus = (p: Page, s: string, timeout = 30_000) => p.waitForSelector(`section.deployment[data-status="${s}"]`, { timeout });

async function command(p: Page, name: string, reason: string): Promise<void> {
  await p.fill('.commands input[name=reason]', reason);
  await p.click(`.commands button[data-command="${name}"]`);
  await p.waitForSelector(`.commands p[data-command="${name}"]`);
}

function productionCanary(token: string, version: string, strategyConfig: Record<string, unknown> = {}) {
  return w.t.call('POST', '/api/v1/deployments', { token, body: { modelId: 'fraud-detection', versionId: version, strategy: 'Canary', environment: 'Production', strategyConfig } });
}

describe('web console in chromium', () => {
  it('signs in (a wrong password is refused on the page) and shows the models and their versions', async () => {
    const res = await page.goto(`${w.t.url}/console`);
    expect(res?.status()).toBe(200);
    expect(page.url()).toBe(`${w.t.url}/console/`);
    // A session the API refuses (an expired or forged token) ends on the first call: back to sign-in.
    await page.evaluate(`sessionStorage.setItem('hotswap.session', JSON.stringify({ token: 'forged', username: 'admin', role: 'Admin', expiresAt: '2999-01-01T00:00:00Z' }))`);
    await page.reload();
    await page.waitForSelector('main.login');
    expect(await page.evaluate(`sessionStorage.getItem('hotswap.session')`)).toBeNull();
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', 'not the password');
    await page.click('button[type=submit]');
    expect(await (await page.waitForSelector('main.login .error')).textContent()).toContain('UNAUTHORIZED');
    await shot(page, 'sign-in');

    await signIn(page, 'admin');
    expect(await page.textContent('header .who')).toBe('admin (Admin)');
    expect(await page.getAttribute('header nav a[href="http://localhost:8233"]', 'target')).toBe('_blank');
    expect(await page.getAttribute(`header nav a[href="${GRAFANA}"]`, 'target')).toBe('_blank');

    await page.click('header nav a[href="#/models"]');
    await page.click('tr[data-model="fraud-detection"] a');
    await page.waitForSelector('tr[data-version="2.0.0"]');
    expect(await page.$$eval('table.versions tbody tr', (rows) => rows.map((r) => r.getAttribute('data-version')))).toEqual(expect.arrayContaining(['1.0.0', '2.0.0']));
    expect(await page.textContent('tr[data-version="1.0.0"] .status')).toBe('Registered');
    await shot(page, 'versions');
    await page.click('a[href="#/models"]');
    await page.waitForSelector('table.models tbody tr');
    await shot(page, 'models');
  }, 60_000);

  it('four-eyes: the initiator’s approve is refused with the server’s error; a second Admin approves and the page follows it to Active', async () => {
    const created = await productionCanary(users.admin.token!, '1.0.0');
    expect(created.status).toBe(202);
    const id: string = created.body.deploymentId;

    await page.click('header nav a[href="#/deployments"]');
    await page.click(`tr[data-deployment="${id}"] a`);
    await waitForStatus(page, 'AwaitingApproval');
    expect(await buttons(page)).toEqual(['approve', 'reject', 'abort']);
    await command(page, 'approve', 'my own change');
    expect(await page.textContent('.commands p.error')).toMatch(/^FORBIDDEN: .*initiator cannot approve/);
    expect(await status(page)).toBe('AwaitingApproval');
    const detail = (await w.t.call('GET', `/api/v1/deployments/${id}`, { token: w.admin })).body;
    expect(await page.getAttribute('a.temporal', 'href')).toBe(detail.temporalUiUrl);
    await shot(page, 'deployment-four-eyes');

    await signOut(page);
    await signIn(page, 'admin2');
    await page.goto(`${w.t.url}/console/#/deployments/${id}`);
    await waitForStatus(page, 'AwaitingApproval');
    await command(page, 'approve', 'validated, go');
    expect(await page.textContent('.commands p.ok')).toBe('approve: done');
    await waitForStatus(page, 'Active');
    expect(await page.textContent('.approval')).toContain(`Approved by ${users.admin2.username}: validated, go`);
    expect(await candidatePercent(page)).toBe(100);
  }, 60_000);

  it('a live canary: step, traffic and charts change on the page as it runs; a DataScientist sees no button; pause, resume and rollback by button', async () => {
    // Short analysis windows that pass with any traffic (thresholds far from today's numbers), so
    // the canary moves on by itself every few seconds and the thresholds appear on the charts.
    const created = await productionCanary(users.engineer.token!, '2.0.0', {
      initialPercentage: 25,
      incrementStep: 25,
      monitoringDuration: 'PT4S',
      minSamplesPerStep: 1,
      maxInconclusiveExtensions: 50,
      rollbackThresholds: { accuracyDrop: null, latencyIncrease: 10, errorRateIncrease: 0.5 },
    });
    expect(created.status).toBe(202);
    const id: string = created.body.deploymentId;
    await page.goto(`${w.t.url}/console/#/deployments/${id}`);
    await waitForStatus(page, 'AwaitingApproval');
    // A marker on the window: gone if anything reloaded the page, so what follows is live.
    await page.evaluate('window.notReloaded = true');
    expect(await candidatePercent(page)).toBe(0);
    await command(page, 'approve', 'canary looks fine');

    let running = true;
    const load = (async () => {
      while (running) await w.t.call('POST', '/api/v1/inference/fraud-detection', { token: w.admin, body: { features: FRAUD } }).catch(() => undefined);
    })();
    try {
      await page.waitForSelector('.traffic:not([data-candidate-percent="0"])', { timeout: 30_000 });
      // Held while we look: paused (monitoring clocks stop; the live charts go on filling).
      await command(page, 'pause', '');
      await waitForStatus(page, 'Paused');
      const pausedAt = await candidatePercent(page);
      expect([25, 50, 75]).toContain(pausedAt);
      expect(await page.textContent('.step')).toMatch(/step \d+\/\d+: /);
      expect(await buttons(page)).toEqual(['resume', 'promote', 'abort', 'rollback']);
      // The error-rate and latency charts: at least two polled points of the candidate each.
      await page.waitForFunction(`[...document.querySelectorAll('.chart polyline.candidate')].every((l) => l.getAttribute('points').split(' ').length >= 2)`, undefined, { timeout: 15_000 });

      const scientist = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await signIn(scientist, 'scientist');
      await scientist.goto(`${w.t.url}/console/#/deployments/${id}`);
      await waitForStatus(scientist, 'Paused');
      expect(await candidatePercent(scientist)).toBe(pausedAt);
      expect(await scientist.$$('.commands button')).toHaveLength(0);
      expect(await scientist.textContent('.commands-none')).toContain('DataScientist');
      await scientist.click('header nav a[href="#/deployments"]');
      await scientist.waitForSelector(`tr[data-deployment="${id}"]`);
      await shot(scientist, 'deployments');
      await scientist.close();

      await command(page, 'resume', '');
      // It moves on by itself: more traffic on the candidate, and an analysis window's thresholds on both charts.
      await page.waitForFunction(`Number(document.querySelector('.traffic').getAttribute('data-candidate-percent')) > ${pausedAt}`, undefined, { timeout: 30_000 });
      await page.waitForFunction(`document.querySelectorAll('.chart line.threshold').length === 2`, undefined, { timeout: 30_000 });
      expect(await page.textContent('.evidence')).toMatch(/last analysis window .*: (Continue|Promote)/);
      expect(await page.evaluate('window.notReloaded')).toBe(true);
      await shot(page, 'deployment-live-canary');
    } finally {
      running = false;
      await load;
    }

    // Rollback without a reason: the server's 400 names the field; with one, traffic goes back.
    await page.fill('.commands input[name=reason]', '');
    await page.click('.commands button[data-command="rollback"]');
    expect(await (await page.waitForSelector('.commands p.error')).textContent()).toMatch(/^VALIDATION_ERROR: .*reason/);
    await command(page, 'rollback', 'p99 after release');
    await waitForStatus(page, 'RolledBack');
    expect(await candidatePercent(page)).toBe(0);
    expect(await page.textContent('.rollback')).toContain('p99 after release');
    expect(await page.$$eval('table.history tbody tr', (rows) => rows.map((r) => r.textContent ?? ''))).toEqual(expect.arrayContaining([expect.stringContaining('rollback')]));
    expect((await w.deps.routing.get(w.modelId, 'Production'))?.pools.map((p) => [p.version, p.weight])).toEqual([['1.0.0', 100]]);
    await shot(page, 'deployment-rolled-back');
  }, 90_000);
});

describe('the console routes', () => {
  it('answer 503 with the spec’s error body, naming npm run build, when the bundle is missing; settings.json gives the links', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'hotswap-console-none-'));
    try {
      const app = express().use(consoleRoutes({ CONSOLE_DIR: empty, TEMPORAL_UI_URL: 'http://temporal.test:8233', GRAFANA_URL: undefined })).use(errorHandler(createLogger('api', 'silent')));
      const page = await request(app).get('/console/');
      expect(page.status).toBe(503);
      expect(page.body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('npm run build') });
      expect((await request(app).get('/console')).headers.location).toBe('/console/');
      expect((await request(app).get('/console/settings.json')).body).toEqual({ temporalUiUrl: 'http://temporal.test:8233', grafanaUrl: null });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
