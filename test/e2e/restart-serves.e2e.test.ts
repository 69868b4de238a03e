/**
 * Serving survives a restart of everything (issue 11, "Desired state, reconciled"): deploy
 * fraud-detection 1.0.0 to Staging on the real stack, kill -9 every process (api, worker, both
 * model servers), start them again, and it answers again by reconciliation alone — no control
 * API call, no redeploy. The deployment stays Active and the next deployment is accepted.
 */
import { E2E_BEFORE_ALL_TIMEOUT_MS, startE2EStack, type E2EStack } from '../helpers/stack-harness';
import { until } from '../helpers/until';

jest.setTimeout(300_000);

const MODEL = 'fraud-detection';
let stack: E2EStack;
const versions: Record<string, string> = {};

const infer = () =>
  stack.call('POST', `/api/v1/inference/${MODEL}`, {
    token: stack.admin.token,
    body: { features: { transaction_amount: 115.04, merchant_category: 'grocery', user_age_days: 107, transaction_hour: 4, is_international: true } },
    headers: { 'x-hotswap-environment': 'Staging' },
  });

beforeAll(async () => {
  stack = await startE2EStack();
  for (const v of ['1.0.0', '2.0.0']) versions[v] = (await stack.registerExample(MODEL, v)).versionId;
}, E2E_BEFORE_ALL_TIMEOUT_MS);

afterAll(async () => {
  if (stack) console.log(await stack.diagnose());
  await stack?.stop();
});

it('kill -9 of every process: the restarted stack serves what was deployed, by itself', async () => {
  const res = await stack.call('POST', '/api/v1/deployments', { token: stack.admin.token, body: { modelId: MODEL, versionId: versions['1.0.0'], strategy: 'Canary', environment: 'Staging' } });
  expect(res.status).toBe(202);
  const id = res.body.deploymentId as string;
  const done = await stack.waitForDeployment(id, (d) => Boolean(d.completedAt), 180_000);
  expect(done.status).toBe('Active');
  expect((await infer()).status).toBe(200);

  await Promise.all([stack.api, stack.worker, ...stack.modelServers].map((p) => p.kill('SIGKILL')));
  await Promise.all([...stack.modelServers, stack.worker].map((p) => p.start()));
  await stack.api.start();
  const upAt = Date.now();
  // The processes are up, the model servers empty: nothing but their reconcilers loads 1.0.0.
  await until('an answer after the restart', async () => ((await infer()).status === 200 ? true : undefined), 60_000, 250);
  const servedAfterMs = Date.now() - upAt;
  console.log(`RESTART-SERVES first answer ${servedAfterMs} ms after every process was ready again`);

  await until('both servers hold 1.0.0 Ready', async () => {
    const now = await stack.db.collection<{ loaded: { version: string; state: string }[] }>('model_servers').find({}).toArray();
    return now.filter((s) => s.loaded.some((l) => l.version === '1.0.0' && l.state === 'Ready')).length === stack.modelServers.length ? true : undefined;
  }, 60_000);
  const health = await stack.call('GET', '/health');
  expect(health.body.components.serving).toMatchObject({ status: 'healthy' });
  expect((await stack.call('GET', `/api/v1/deployments/${id}`, { token: stack.admin.token })).body.status).toBe('Active');

  // Serving again is not an excuse to refuse the next deployment.
  const next = await stack.call('POST', '/api/v1/deployments', { token: stack.admin.token, body: { modelId: MODEL, versionId: versions['2.0.0'], strategy: 'Canary', environment: 'Staging'} });
  expect(next.status).toBe(202);
});
