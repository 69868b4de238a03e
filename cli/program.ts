import { Command, CommanderError, Option } from 'commander';
import { registerAuthCommands } from './commands/auth-commands';
import { registerDeploymentCommands } from './commands/deployment-commands';
import { registerModelCommands } from './commands/model-commands';
import { registerServingCommands } from './commands/serving-commands';
import type { CliContext } from './context';
import { exitCodeOf, formatError } from './errors';

const VERSION = '0.1.0';

/** The whole command tree; commands write through `ctx` only. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('hotswap')
    .description('HotSwap from the command line: models, deployments, predictions')
    .version(VERSION, '-V, --version')
    .addOption(new Option('--api <url>', 'the HotSwap API (default: HOTSWAP_API, else the one logged in to, else http://localhost:8080)'))
    .addOption(new Option('-o, --output <format>', 'human or json (for scripts)').choices(['human', 'json']).default('human'))
    .option('--no-color', 'no colours (also NO_COLOR)')
    .showSuggestionAfterError()
    .configureOutput({ writeOut: (s) => ctx.io.stdout(s), writeErr: (s) => ctx.io.stderr(s) });
  registerAuthCommands(program, ctx);
  registerModelCommands(program, ctx);
  registerDeploymentCommands(program, ctx);
  registerServingCommands(program, ctx);
  applyRecursively(program, (c) => c.exitOverride());
  return program;
}

function applyRecursively(cmd: Command, f: (c: Command) => void): void {
  f(cmd);
  for (const sub of cmd.commands) applyRecursively(sub, f);
}

/**
 * Runs one command line (without `node hotswap`) and returns the exit code: 0 done, 1 failed
 * (an API error, or a watched deployment that failed or rolled back), 2 usage. Errors are
 * printed as one line on stderr, never as a stack trace.
 */
export async function runCli(argv: string[], ctx: CliContext): Promise<number> {
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) return commanderExitCode(e);
    ctx.io.stderr(`${formatError(e)}\n`);
    return exitCodeOf(e);
  }
}

/** Help and --version exit 0; every other commander error (it printed it already) is usage: 2. */
function commanderExitCode(e: CommanderError): number {
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
  if (e.code === 'commander.help' || e.code === 'commander.executeSubCommandAsync') return e.exitCode === 0 ? 0 : 2;
  return 2;
}
