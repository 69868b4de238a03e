import type { Command } from 'commander';
import { ApiClient } from './api-client';
import { readSession, resolveApiUrl, resolveToken, type StoredSession } from './config-store';
import { CliError, UsageError } from './errors';
import { colorsFor, type Colors } from './render/colors';

/** Where the CLI reads and writes: the real process in bin/, captured streams in tests. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stdout is a terminal (a live view redraws in place only then). */
  isTTY: boolean;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Writable stream behind stdout, for the live view's redraw. */
  stdoutStream: NodeJS.WritableStream;
}

export type OutputFormat = 'human' | 'json';

export interface GlobalOptions {
  api?: string;
  output: OutputFormat;
  color: boolean;
}

/** Everything a command needs from outside, passed in explicitly (no global process reads in commands). */
export class CliContext {
  /** What the process exits with when the command did not throw (a watch that saw a failure sets 1). */
  exitCode = 0;

  constructor(
    readonly env: NodeJS.ProcessEnv,
    readonly io: CliIO,
    readonly fetchImpl: typeof fetch = fetch,
  ) {}

  options(cmd: Command): GlobalOptions {
    return cmd.optsWithGlobals<GlobalOptions>();
  }

  colors(cmd: Command): Colors {
    return colorsFor(this.options(cmd).color && this.io.isTTY && !this.env.NO_COLOR);
  }

  session(): StoredSession | null {
    return readSession(this.env);
  }

  apiUrl(cmd: Command): string {
    return resolveApiUrl(this.options(cmd).api, this.env, this.session());
  }

  /** A client without credentials (login). */
  anonymousClient(cmd: Command): ApiClient {
    return new ApiClient(this.apiUrl(cmd), undefined, this.fetchImpl);
  }

  /** A client with the stored (or HOTSWAP_TOKEN) credentials; refuses early when there are none. */
  client(cmd: Command): ApiClient {
    const url = this.apiUrl(cmd);
    const token = resolveToken(url, this.env, this.session());
    if (!token) throw new CliError(`not logged in to ${url}`, 'run `hotswap login` (or set HOTSWAP_TOKEN)');
    return new ApiClient(url, token, this.fetchImpl);
  }

  /** GET `path` with the stored credentials and print the answer. */
  async show<T>(cmd: Command, path: string, human: (data: T, colors: Colors) => string[]): Promise<void> {
    this.print(cmd, await this.client(cmd).get<T>(path), human);
  }

  /** Prints the API's answer as JSON (--output json) or as the lines `human` makes of it. */
  print<T>(cmd: Command, data: T, human: (data: T, colors: Colors) => string[]): void {
    if (this.options(cmd).output === 'json') this.io.stdout(`${JSON.stringify(data, null, 2)}\n`);
    else this.io.stdout(`${human(data, this.colors(cmd)).join('\n')}\n`);
  }
}

/**
 * The value of `allowed` that `input` names, ignoring case and dashes.
 * Example: pickEnum('blue-green', ['Canary', 'BlueGreen'], 'strategy') === 'BlueGreen'.
 */
export function pickEnum<T extends string>(input: string, allowed: readonly T[], what: string): T {
  const norm = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');
  const found = allowed.find((a) => norm(a) === norm(input));
  if (!found) throw new UsageError(`unknown ${what} "${input}"`, `use one of ${allowed.join(', ')}`);
  return found;
}
