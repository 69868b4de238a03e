import type { Command } from 'commander';
import { ENVIRONMENTS } from '../../domain/deployments/enums';
import { pickEnum, type CliContext } from '../context';
import { UsageError } from '../errors';
import { inferenceBody, parseFeatureArgs } from '../feature-args';
import { renderMetrics, renderPrediction, renderRouting } from '../render/resources';
import { readJsonFile } from './deployment-commands';

const enc = encodeURIComponent;

/** `predict`, `routing show`, `metrics`. */
export function registerServingCommands(program: Command, ctx: CliContext): void {
  program
    .command('predict')
    .description('one prediction: --features k=v … or --file request.json')
    .argument('<model>', 'model name')
    .option('--features <k=v...>', 'feature values (numbers, true/false and JSON are typed; the rest are strings)')
    .option('--file <file>', 'JSON document: {"features": {...}}, {"instances": [...]}, or the features object')
    .option('--model-version <version>', 'pin a version instead of following the routing table')
    .option('--env <name>', `the routing table of this environment (${ENVIRONMENTS.join(' | ')}; the API's default: Production)`)
    .action(async (model: string, opts: { features?: string[]; file?: string; modelVersion?: string; env?: string }, cmd: Command) => {
      if (!opts.features === !opts.file) throw new UsageError('give either --features k=v … or --file FILE', 'e.g. hotswap predict fraud-detection --features transaction_amount=1500 is_international=false');
      const body = opts.file ? inferenceBody(readJsonFile(opts.file)) : { features: parseFeatureArgs(opts.features!) };
      const batch = 'instances' in body;
      const answer = await ctx.client(cmd).request<Parameters<typeof renderPrediction>[0]>('POST', `/api/v1/inference/${enc(model)}${batch ? '/batch' : ''}`, {
        json: { ...body, ...(opts.modelVersion && { version: opts.modelVersion }) },
        query: { environment: opts.env && pickEnum(opts.env, ENVIRONMENTS, 'environment') },
      });
      ctx.print(cmd, answer, (a) => (batch ? [JSON.stringify(a, null, 2)] : renderPrediction(a)));
    });

  program
    .command('routing')
    .description('routing tables')
    .command('show')
    .description('the routing table of a model in an environment')
    .argument('<model>', 'model name or id')
    .argument('<env>', ENVIRONMENTS.join(' | '))
    .action(async (model: string, env: string, _opts: unknown, cmd: Command) => {
      const environment = pickEnum(env, ENVIRONMENTS, 'environment');
      await ctx.show(cmd, `/api/v1/routing/${enc(model)}/${environment}`, renderRouting);
    });

  program
    .command('metrics')
    .description("a model's metrics over a window ending now, overall and per version")
    .argument('<model>', 'model name or id')
    .option('--window <duration>', 'ISO-8601 duration, e.g. PT5M, PT1H, P1D', 'PT1H')
    .option('--env <name>', ENVIRONMENTS.join(' | '))
    .option('--model-version <version>', 'only this version')
    .action(async (model: string, opts: { window: string; env?: string; modelVersion?: string }, cmd: Command) => {
      const answer = await ctx.client(cmd).get<Parameters<typeof renderMetrics>[0]>(`/api/v1/models/${enc(model)}/metrics`, {
        window: opts.window,
        environment: opts.env && pickEnum(opts.env, ENVIRONMENTS, 'environment'),
        version: opts.modelVersion,
      });
      ctx.print(cmd, answer, renderMetrics);
    });
}
