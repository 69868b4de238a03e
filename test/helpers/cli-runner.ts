import { PassThrough } from 'node:stream';
import { CliContext } from '../../cli/context';
import { runCli } from '../../cli/program';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs one `hotswap` command line in this process (so coverage counts) with `env` as its whole
 * environment, stdin from `input`, and stdout/stderr captured; not a terminal.
 */
export async function runCliInProcess(args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<CliRun> {
  let out = '';
  let err = '';
  const stdin = new PassThrough();
  stdin.end(input);
  const ctx = new CliContext(env, { stdout: (s) => (out += s), stderr: (s) => (err += s), isTTY: false, stdin, stdoutStream: new PassThrough() });
  const code = await runCli(args, ctx);
  return { code, out, err };
}
