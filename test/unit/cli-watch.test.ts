import { PassThrough } from 'node:stream';
import type { DeploymentDetail } from '../../api/services/deployment-service';
import { CliContext } from '../../cli/context';
import { runCli } from '../../cli/program';
import { canaryDetail } from '../helpers/deployment-detail-fixture';

const waiting = canaryDetail({ status: 'AwaitingApproval', phase: 'AwaitingApproval', trafficPercentage: 0, currentStep: null, metrics: null, liveMetrics: null });
const shifting = canaryDetail({ metrics: null });
const rolledBack = canaryDetail({
  status: 'RolledBack', phase: 'RolledBack', trafficPercentage: 0, currentStep: null,
  rollback: { trigger: 'rollback-command', reason: 'back to 1.0.0', decidedAt: '', trafficRestoredAt: '', durationMs: 40, routeRevision: 3, errors: [] },
});
const active = canaryDetail({ status: 'Active', phase: 'Active', trafficPercentage: 100, currentStep: null });

/** `deployments watch dep-1` in this process against a fake API that answers `states` in turn (a number: that HTTP status). */
async function watch(states: (DeploymentDetail | number)[], extra: string[] = []) {
  let out = '';
  let err = '';
  let polls = 0;
  const fetchImpl = (async (url: string) => {
    if (url.endsWith('/authentication/me')) return new Response(JSON.stringify({ id: 'user-ml', role: 'MLEngineer' }));
    const s = states[Math.min(polls++, states.length - 1)];
    if (typeof s === 'number') return new Response(JSON.stringify({ error: { code: 'SERVICE_UNAVAILABLE', message: 'Temporal is away', details: [] } }), { status: s });
    return new Response(JSON.stringify(s));
  }) as unknown as typeof fetch;
  const ctx = new CliContext({ HOTSWAP_TOKEN: 't', HOME: '/nonexistent' }, { stdout: (s) => (out += s), stderr: (s) => (err += s), isTTY: false, stdin: new PassThrough(), stdoutStream: new PassThrough() }, fetchImpl);
  const code = await runCli(['deployments', 'watch', 'dep-1', '--interval', '100', ...extra], ctx);
  return { code, out, err, polls };
}

it('prints a line per change, rides out a 503, then the final state, and exits 1 on a rollback', async () => {
  const r = await watch([waiting, waiting, 503, shifting, rolledBack]);
  expect(r.err).toBe('');
  expect(r.code).toBe(1);
  const lines = r.out.split('\n');
  expect(lines[0]).toBe('AwaitingApproval (AwaitingApproval) step -, traffic on 2.0.0: 0%');
  expect(lines[1]).toBe('Deploying (Analysing) step 5/9 analysis PT20S, traffic on 2.0.0: 25%');
  expect(lines[2]).toBe('RolledBack (RolledBack) step -, traffic on 2.0.0: 0%');
  expect(r.out).toContain('RolledBack: back to 1.0.0 (trigger rollback-command, traffic restored in 40 ms)');
  expect(r.polls).toBe(5);
});

it('exits 0 when the rollout ends Active', async () => {
  const r = await watch([shifting, active]);
  expect(r.code).toBe(0);
  expect(r.out).toContain('Active: 2.0.0 serves 100% of Production');
});

it('emits one JSON document per change with --output json', async () => {
  const r = await watch([waiting, waiting, active], ['-o', 'json']);
  const docs = r.out.trim().split('\n').map((l) => JSON.parse(l) as DeploymentDetail);
  expect(docs.map((d) => d.status)).toEqual(['AwaitingApproval', 'Active']);
});

it('stops when the first answer is already an outage, and refuses a too-short interval', async () => {
  expect(await watch([503])).toMatchObject({ code: 1, err: 'error: Temporal is away (SERVICE_UNAVAILABLE) — retry shortly; GET /health names the component that is down\n' });
  const badInterval = await watch([active], ['--interval', '5']);
  expect(badInterval.code).toBe(2);
});

it('stops with 0 at the status or phase of --until, and with 1 when the rollout ends before it', async () => {
  const reached = await watch([waiting, active], ['--until', 'awaitingapproval']);
  expect(reached).toMatchObject({ code: 0, polls: 1 });
  expect((await watch([waiting, shifting, active], ['--until', 'Analysing'])).polls).toBe(2);
  expect((await watch([waiting, active], ['--until', 'Paused'])).code).toBe(1);
  expect((await watch([waiting], ['--until', 'Nowhere'])).code).toBe(2);
});
