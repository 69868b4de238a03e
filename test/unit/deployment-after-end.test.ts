import { completedRollbackProblem } from '../../domain/deployments/completed-rollback';
import { hasEnded } from '../../domain/deployments/deployment-status';
import { currentPerPair } from '../../infra/mongo/deployment-repository';

const done = '2026-12-07T10:00:00.000Z';
const stable = { versionId: 'v1', version: '1.0.0' };
const view = (extra: Partial<Parameters<typeof completedRollbackProblem>[0]>) => ({ deploymentId: 'dep-a', status: 'Active' as const, completedAt: done, stable, supersededBy: null, phase: 'Active' as const, ...extra });

describe('hasEnded', () => {
  it.each([
    [{ status: 'Active', completedAt: null }, false],
    [{ status: 'Active', completedAt: done }, true],
    [{ status: 'Deploying', completedAt: null }, false],
    [{ status: 'Superseded', completedAt: done }, true],
    [{ status: 'RolledBack', completedAt: null }, true],
  ] as const)('%o → %s', (v, ended) => expect(hasEnded(v)).toBe(ended));
});

describe('completedRollbackProblem', () => {
  it.each([
    ['a completed Active deployment', view({}), null],
    ['one still in its bake window', view({ completedAt: null }), 'still running'],
    ['a superseded one', view({ status: 'Superseded', supersededBy: 'dep-b' }), 'superseded by dep-b'],
    ['one that ended badly', view({ status: 'Failed' }), 'ended Failed'],
    ['one being rolled back', view({ phase: 'RollingBack' }), 'already being rolled back'],
    ['a first deployment', view({ stable: null }), 'first deployment'],
  ])('%s', (_name, v, expected) => {
    const problem = completedRollbackProblem(v);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toContain(expected);
  });
});

describe('currentPerPair', () => {
  const row = (deploymentId: string, environment: 'Staging' | 'Production', status: string, completedAt: string | null = done) => ({ deploymentId, modelId: 'm', environment, status, completedAt }) as Parameters<typeof currentPerPair>[0][number];
  it('picks the running deployment, else the Active one, else the newest, per model and environment', () => {
    expect(currentPerPair([row('c', 'Staging', 'Failed'), row('b', 'Staging', 'Active'), row('a', 'Staging', 'Superseded')])).toEqual(['b']);
    expect(currentPerPair([row('d', 'Staging', 'Deploying', null), row('b', 'Staging', 'Superseded')])).toEqual(['d']);
    expect(currentPerPair([row('e', 'Production', 'RolledBack'), row('f', 'Production', 'Cancelled'), row('g', 'Staging', 'Active')])).toEqual(['e', 'g']);
  });
});
