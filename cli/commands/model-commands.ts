import type { Command } from 'commander';
import type { CliContext } from '../context';
import { ApiError } from '../errors';
import { readModelDirectory, registrationForm, versionPart } from '../registration';
import { renderModel, renderModels, renderRegistered, renderVersion, renderVersions, type ModelView, type VersionView } from '../render/resources';

const enc = encodeURIComponent;

/** `models register|list|show` and `versions list|show`. */
export function registerModelCommands(program: Command, ctx: CliContext): void {
  const models = program.command('models').description('the model registry');

  models
    .command('register')
    .description('register DIR/metadata.json with DIR/model.onnx: a new model, or a new version of an existing one')
    .argument('<dir>', 'directory with metadata.json and model.onnx')
    .option('--artifact <file>', 'the ONNX file (default DIR/model.onnx)')
    .action(async (dir: string, opts: { artifact?: string }, cmd: Command) => {
      const client = ctx.client(cmd);
      const { metadata, name, artifactPath } = readModelDirectory(dir, opts.artifact);
      const exists = await client.get<ModelView>(`/api/v1/models/${enc(name)}`).then(
        () => true,
        (e: unknown) => {
          if (e instanceof ApiError && e.code === 'MODEL_NOT_FOUND') return false;
          throw e;
        },
      );
      if (exists) {
        const form = await registrationForm(versionPart(metadata), artifactPath);
        const v = await client.request<VersionView>('POST', `/api/v1/models/${enc(name)}/versions`, { form });
        ctx.print(cmd, v, (x) => renderRegistered(x, 'version'));
      } else {
        const form = await registrationForm(metadata, artifactPath);
        const m = await client.request<Record<string, unknown>>('POST', '/api/v1/models', { form });
        ctx.print(cmd, m, (x) => renderRegistered(x, 'model'));
      }
    });

  models
    .command('list')
    .description('list models')
    .option('--tag <tag>', 'only models with this tag')
    .option('--framework <name>', 'only this source framework')
    .option('--search <text>', 'name or description contains')
    .option('--limit <n>', 'at most n', '50')
    .action(async (opts: { tag?: string; framework?: string; search?: string; limit: string }, cmd: Command) => {
      const body = await ctx.client(cmd).get<{ models: ModelView[]; total: number }>('/api/v1/models', opts);
      ctx.print(cmd, body, renderModels);
    });

  models
    .command('show')
    .description('one model')
    .argument('<model>', 'name or id')
    .action((model: string, _opts: unknown, cmd: Command) => ctx.show(cmd, `/api/v1/models/${enc(model)}`, renderModel));

  const versions = program.command('versions').description("a model's versions");

  versions
    .command('list')
    .description("list a model's versions")
    .argument('<model>', 'name or id')
    .action((model: string, _opts: unknown, cmd: Command) => ctx.show(cmd, `/api/v1/models/${enc(model)}/versions`, renderVersions));

  versions
    .command('show')
    .description('one version (semantic version, id or alias)')
    .argument('<model>', 'name or id')
    .argument('<version>', 'e.g. 2.0.0, or an alias such as champion')
    .action((model: string, version: string, _opts: unknown, cmd: Command) => ctx.show(cmd, `/api/v1/models/${enc(model)}/versions/${enc(version)}`, renderVersion));
}
