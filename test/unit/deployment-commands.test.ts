import { approvalProblems, controlProblems, refusalCode, type Actor, type CommandProblem, type CommandContext, type ControlCommandKind } from '../../domain/deployments/commands';
import { DEPLOYMENT_STATUSES, type DeploymentStatus } from '../../domain/deployments/enums';

const admin: Actor = { id: 'a', username: 'alice', role: 'Admin' };
const engineer: Actor = { id: 'e', username: 'bob', role: 'MLEngineer' };
const messages = (problems: CommandProblem[]) => problems.map((p) => p.message);
const ctx = (status: DeploymentStatus, extra: Partial<CommandContext> = {}): CommandContext => ({ status, initiatedBy: 'e', canRollBack: true, canPromote: true, baking: true, ...extra });

describe('approvalProblems', () => {
  it.each([
    ['accepted', { by: admin, reason: 'ok' }, ctx('AwaitingApproval'), []],
    ['not awaiting approval', { by: admin, reason: 'ok' }, ctx('Deploying'), ['the deployment is Deploying, not AwaitingApproval']],
    ['no reason', { by: admin, reason: ' ' }, ctx('AwaitingApproval'), ['a reason is required (1 to 2000 characters)']],
    ['not an Admin', { by: engineer, reason: 'ok' }, ctx('AwaitingApproval', { initiatedBy: 'x' }), ['role MLEngineer may not approve deployments']],
    ['the initiator', { by: { ...admin, id: 'e' }, reason: 'ok' }, ctx('AwaitingApproval'), ['the initiator cannot approve or reject their own deployment']],
    ['nobody', { by: { ...admin, id: '' }, reason: 'ok' }, ctx('AwaitingApproval'), ['the command must say who sends it (by.id)']],
    ['already decided (status not yet moved on)', { by: admin, reason: 'ok' }, ctx('AwaitingApproval', { approvalState: 'Approved' }), ['the approval has already been decided (Approved)']],
    ['already decided, even without a reason or by the initiator', { by: { ...admin, id: 'e' }, reason: '' }, ctx('Deploying', { approvalState: 'Rejected' }), ['the approval has already been decided (Rejected)']],
    ['timed out', { by: admin, reason: 'ok' }, ctx('AwaitingApproval', { approvalState: 'TimedOut' }), ['the approval has already been decided (TimedOut)']],
    ['no approval needed', { by: admin, reason: 'ok' }, ctx('Deploying', { approvalState: 'NotRequired' }), ['the deployment needs no approval (Deploying)']],
  ] as const)('%s', (_name, cmd, c, expected) => {
    expect(messages(approvalProblems(cmd, c))).toEqual(expected);
  });
});

// Which statuses accept which command (with a reason, by an engineer, previous version warm, steps left).
const ACCEPTS: Record<ControlCommandKind, DeploymentStatus[]> = {
  pause: ['Deploying'],
  resume: ['Paused'],
  promote: ['Deploying', 'Paused', 'Active'],
  abort: ['Pending', 'Validating', 'AwaitingApproval', 'Deploying', 'Paused', 'Active'],
  rollback: ['Deploying', 'Paused', 'Active'],
  supersede: ['Active'],
};

describe('controlProblems by status', () => {
  const rows = (Object.keys(ACCEPTS) as ControlCommandKind[]).flatMap((kind) => DEPLOYMENT_STATUSES.map((status) => [kind, status, ACCEPTS[kind].includes(status)] as const));
  it.each(rows)('%s while %s accepted: %s', (kind, status, accepted) => {
    expect(controlProblems(kind, { by: engineer, reason: 'because' }, ctx(status)).length === 0).toBe(accepted);
  });
});

describe('controlProblems rules', () => {
  it('abort and rollback need a reason', () => {
    expect(messages(controlProblems('abort', { by: engineer }, ctx('Deploying')))).toContain('a reason is required (1 to 2000 characters)');
    expect(messages(controlProblems('rollback', { by: engineer, reason: '' }, ctx('Deploying')))).toContain('a reason is required (1 to 2000 characters)');
    expect(messages(controlProblems('pause', { by: engineer }, ctx('Deploying')))).toEqual([]);
  });
  it('needs deployments:control', () => {
    expect(messages(controlProblems('pause', { by: { ...engineer, role: 'DataScientist' } }, ctx('Deploying')))).toEqual(['role DataScientist may not pause deployments']);
  });
  it('rollback needs the previous version still warm', () => {
    expect(messages(controlProblems('rollback', { by: engineer, reason: 'x' }, ctx('Active', { canRollBack: false })))).toEqual(['the previous version has been retired; deploy it again instead']);
    expect(messages(controlProblems('abort', { by: engineer, reason: 'x' }, ctx('Active', { canRollBack: false })))).toEqual(['the deployment has already ended (Active)']);
  });
  it('supersede needs the bake window and a reason', () => {
    expect(messages(controlProblems('supersede', { by: engineer, reason: 'x' }, ctx('Active', { baking: false })))).toEqual(['only a deployment in its bake window can be superseded; it is Active']);
    expect(messages(controlProblems('supersede', { by: engineer }, ctx('Active')))).toEqual(['a reason is required (1 to 2000 characters)']);
  });
  it('promote needs something left to skip', () => {
    expect(messages(controlProblems('promote', { by: engineer }, ctx('Deploying', { canPromote: false })))).toEqual(['nothing to promote: the deployment is Deploying']);
  });
});

describe('refusal codes', () => {
  it('types each problem: who may not → FORBIDDEN, a bad reason → VALIDATION_ERROR with its field, the state → CONFLICT', () => {
    const mixed = approvalProblems({ by: engineer, reason: '' }, ctx('Deploying', { initiatedBy: 'x' }));
    expect(mixed.map((p) => p.code)).toEqual(['CONFLICT', 'VALIDATION_ERROR', 'FORBIDDEN']);
    expect(mixed.find((p) => p.code === 'VALIDATION_ERROR')?.field).toBe('reason');
    expect(refusalCode(mixed)).toBe('FORBIDDEN');
    expect(refusalCode(controlProblems('rollback', { by: engineer }, ctx('Active')))).toBe('VALIDATION_ERROR');
    expect(refusalCode(controlProblems('pause', { by: engineer }, ctx('Paused')))).toBe('CONFLICT');
    expect(controlProblems('pause', { by: { ...engineer, id: '' } }, ctx('Deploying'))).toEqual([{ code: 'VALIDATION_ERROR', field: 'by.id', message: 'the command must say who sends it (by.id)' }]);
  });
});
