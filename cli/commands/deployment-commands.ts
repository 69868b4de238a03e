import fs from 'node:fs';
import { type Command, Option } from 'commander';
import type { CreatedDeployment, DeploymentDetail, DeploymentSummary } from '../../api/services/deployment-service';
import { MEASURED_GATES } from '../../domain/validation/gates';
import { DEPLOYMENT_PHASES, DEPLOYMENT_STATUSES, DEPLOYMENT_STRATEGIES, ENVIRONMENTS } from '../../domain/deployments/enums';
import { pickEnum, type CliContext } from '../context';
import { UsageError } from '../errors';
import type { Colors } from '../render/colors';
import { renderDeployment } from '../render/deployment-view';
import { renderDeploymentList } from '../render/resources';
import { watchDeployment } from '../watch';

const enc = encodeURIComponent;
const CONTROL = ['pause', 'resume', 'promote', 'abort', 'rollback'] as const;

interface WatchFlags {
  interval: string;
  until?: string;
}

/** `deploy`, `deployments list|show|watch`, and the commands on one deployment (approve … rollback). */
export function registerDeploymentCommands(program: Command, ctx: CliContext): void {
  const interval = () => new Option('--interval <ms>', 'how often the live view polls').default('1000');
  const until = () =>
    new Option('--until <status or phase>', 'stop (exit 0) once the deployment is in this status or phase, e.g. AwaitingApproval or Analysing; exit 1 if it ends first');

  program
    .command('deploy')
    .description('start a deployment (202: the workflow runs); --watch follows it live')
    .argument('<model>', 'model name or id')
    .argument('<version>', 'semantic version, id or alias')
    .requiredOption('--strategy <name>', DEPLOYMENT_STRATEGIES.join(' | '))
    .requiredOption('--env <name>', ENVIRONMENTS.join(' | '))
    .option('--config <file>', 'JSON file of the strategyConfig (e.g. {"initialPercentage": 25, "monitoringDuration": "PT20S"})')
    .option('--watch', 'follow it live until it ends; exit 1 when it fails, rolls back or is cancelled')
    .addOption(interval())
    .addOption(until())
    .action(async (model: string, version: string, opts: { strategy: string; env: string; config?: string; watch?: boolean } & WatchFlags, cmd: Command) => {
      const body = {
        modelId: model,
        versionId: version,
        strategy: pickEnum(opts.strategy, DEPLOYMENT_STRATEGIES, 'strategy'),
        environment: pickEnum(opts.env, ENVIRONMENTS, 'environment'),
        ...(opts.config && { strategyConfig: readJsonFile(opts.config) }),
      };
      const client = ctx.client(cmd);
      const created = await client.post<CreatedDeployment>('/api/v1/deployments', body);
      if (!opts.watch) {
        ctx.print(cmd, created, (c) => [
          `started deployment ${c.deploymentId}: ${c.modelName} ${c.version} ${c.strategy} → ${c.environment}`,
          `follow it: hotswap deployments watch ${c.deploymentId}`,
          `Temporal: ${c.temporalUiUrl}`,
        ]);
        return;
      }
      if (ctx.options(cmd).output !== 'json') ctx.io.stdout(`started deployment ${created.deploymentId}\n`);
      await watch(ctx, cmd, created.deploymentId, opts);
    });

  const deployments = program.command('deployments').description('deployments and their state');

  deployments
    .command('list')
    .description('deployments, newest first (by default the one in force per model and environment)')
    .option('--model <name>', 'only this model')
    .option('--status <status>', DEPLOYMENT_STATUSES.join(' | '))
    .option('--env <name>', ENVIRONMENTS.join(' | '))
    .option('--all', 'every deployment, not only the current one per model and environment')
    .option('--limit <n>', 'at most n (1–100)', '20')
    .action(async (opts: { model?: string; status?: string; env?: string; all?: boolean; limit: string }, cmd: Command) => {
      const body = await ctx.client(cmd).get<{ deployments: DeploymentSummary[]; total: number }>('/api/v1/deployments', {
        model: opts.model,
        status: opts.status && pickEnum(opts.status, DEPLOYMENT_STATUSES, 'status'),
        environment: opts.env && pickEnum(opts.env, ENVIRONMENTS, 'environment'),
        scope: opts.all ? 'all' : undefined,
        limit: opts.limit,
      });
      ctx.print(cmd, body, renderDeploymentList);
    });

  deployments
    .command('show')
    .description('one deployment: step, traffic, last analysis with its evidence, approval, rollback')
    .argument('<id>', 'deployment id')
    .action((id: string, _opts: unknown, cmd: Command) => ctx.show(cmd, `/api/v1/deployments/${enc(id)}`, renderDetail));

  deployments
    .command('watch')
    .description('follow a deployment live until it ends; exit 1 when it fails, rolls back or is cancelled')
    .argument('<id>', 'deployment id')
    .addOption(interval())
    .addOption(until())
    .action(async (id: string, opts: WatchFlags, cmd: Command) => watch(ctx, cmd, id, opts));

  for (const decision of ['approve', 'reject'] as const) {
    program
      .command(decision)
      .description(`${decision} a Production deployment (an Admin other than the one who started it)`)
      .argument('<id>', 'deployment id')
      .requiredOption('--reason <text>', 'why (kept in the audit log)')
      .action(async (id: string, opts: { reason: string }, cmd: Command) => {
        const answer = await ctx.client(cmd).post<{ deploymentId: string; approval: { state: string } | null; accepted: boolean }>(`/api/v1/deployments/${enc(id)}/${decision}`, { reason: opts.reason });
        ctx.print(cmd, answer, (a) => [`${a.deploymentId}: approval ${a.approval?.state ?? '-'}${a.accepted ? '' : ' (not accepted)'}`]);
      });
  }

  program
    .command('override')
    .description('let a failed validation gate pass (Admin); the deployment goes on')
    .argument('<id>', 'deployment id')
    .requiredOption('--gate <gate>', `the failed gate: ${MEASURED_GATES.join(', ')}`)
    .requiredOption('--reason <text>', 'why (kept in the validation report, the history and the audit log)')
    .action(async (id: string, opts: { gate: string; reason: string }, cmd: Command) => {
      const gate = pickEnum(opts.gate, MEASURED_GATES, 'gate');
      const answer = await ctx.client(cmd).post<{ deploymentId: string; validationResult: { passed: boolean } | null }>(`/api/v1/deployments/${enc(id)}/override`, { gate, reason: opts.reason });
      ctx.print(cmd, answer, (a) => [`${a.deploymentId}: ${gate} overridden; validation ${a.validationResult?.passed ? 'passed' : 'still failing'}`]);
    });

  for (const kind of CONTROL) {
    const reasonRequired = kind === 'abort' || kind === 'rollback';
    const c = program.command(kind).description(`${kind} a deployment`).argument('<id>', 'deployment id');
    if (reasonRequired) c.requiredOption('--reason <text>', 'why (kept in the history and the audit log)');
    else c.option('--reason <text>', 'why (kept in the history and the audit log)');
    c.action(async (id: string, opts: { reason?: string }, cmd: Command) => {
      const d = await ctx.client(cmd).post<DeploymentDetail>(`/api/v1/deployments/${enc(id)}/${kind}`, opts.reason === undefined ? {} : { reason: opts.reason });
      ctx.print(cmd, d, renderDetail);
    });
  }
}

const renderDetail = (d: DeploymentDetail, colors: Colors) => renderDeployment(d, { colors, viewer: { id: null, role: null }, now: new Date() });

async function watch(ctx: CliContext, cmd: Command, id: string, opts: WatchFlags): Promise<void> {
  const intervalMs = Number(opts.interval);
  if (!Number.isInteger(intervalMs) || intervalMs < 100) throw new UsageError(`--interval ${opts.interval} is not a whole number of milliseconds ≥ 100`);
  const code = await watchDeployment(ctx.client(cmd), ctx.io, id, {
    intervalMs,
    output: ctx.options(cmd).output,
    colors: ctx.colors(cmd),
    outageLimitMs: 120_000,
    until: opts.until && pickEnum(opts.until, [...DEPLOYMENT_STATUSES, ...DEPLOYMENT_PHASES], 'status or phase'),
  });
  ctx.exitCode = code;
}

export function readJsonFile(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`, 'give a JSON file');
  }
}
