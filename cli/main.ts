/** The `hotswap` command (bin/hotswap runs this): the real process's streams, then exit with the code. */
import { CliContext } from './context';
import { runCli } from './program';

const ctx = new CliContext(process.env, {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  isTTY: process.stdout.isTTY === true,
  stdin: process.stdin,
  stdoutStream: process.stdout,
});

void runCli(process.argv.slice(2), ctx).then((code) => {
  process.exitCode = code;
});
