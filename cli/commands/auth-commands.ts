import type { Command } from 'commander';
import { ROLES } from '../../domain/permissions';
import { writeSession } from '../config-store';
import { pickEnum, type CliContext } from '../context';
import { UsageError } from '../errors';
import { promptLine, readAll } from '../prompt';

interface LoginAnswer {
  token: string;
  expiresAt: string;
  user: { username: string; role: string };
}

interface Principal {
  id: string;
  username: string;
  role: string;
  via: string;
}

/** `login`, `whoami` and `users create`. */
export function registerAuthCommands(program: Command, ctx: CliContext): void {
  program
    .command('login')
    .description('log in and keep the token in the config directory (mode 0600)')
    .option('-u, --username <name>', 'user name (default: HOTSWAP_USERNAME, else asked)')
    .option('--password-stdin', 'read the password from stdin (default: HOTSWAP_PASSWORD, else asked without echo)')
    .action(async (opts: { username?: string; passwordStdin?: boolean }, cmd: Command) => {
      const username = opts.username ?? ctx.env.HOTSWAP_USERNAME ?? (await ask(ctx, 'username: ', false));
      const password = opts.passwordStdin ? await readAll(ctx.io.stdin) : (ctx.env.HOTSWAP_PASSWORD ?? (await ask(ctx, 'password: ', true)));
      const client = ctx.anonymousClient(cmd);
      const answer = await client.post<LoginAnswer>('/api/v1/authentication/login', { username, password });
      const file = writeSession(ctx.env, { apiUrl: client.baseUrl, token: answer.token, username: answer.user.username, role: answer.user.role, expiresAt: answer.expiresAt });
      ctx.print(cmd, { apiUrl: client.baseUrl, username: answer.user.username, role: answer.user.role, expiresAt: answer.expiresAt, sessionFile: file }, (s) => [
        `logged in to ${s.apiUrl} as ${s.username} (${s.role}) until ${s.expiresAt}`,
        `token saved in ${s.sessionFile}`,
      ]);
    });

  program
    .command('whoami')
    .description('who the stored token (or HOTSWAP_TOKEN) is')
    .action(async (_opts: unknown, cmd: Command) => {
      const client = ctx.client(cmd);
      const me = await client.get<Principal>('/api/v1/authentication/me');
      ctx.print(cmd, { ...me, apiUrl: client.baseUrl }, (p) => [`${p.username} (${p.role}, via ${p.via}) at ${p.apiUrl}`]);
    });

  registerUserCommands(program, ctx);
}

function registerUserCommands(program: Command, ctx: CliContext): void {
  program
    .command('users')
    .description('users (Admin)')
    .command('create')
    .description('create a user')
    .argument('<username>', 'user name')
    .requiredOption('--role <role>', ROLES.join(' | '))
    .option('--password-stdin', 'read the password from stdin (default: HOTSWAP_NEW_PASSWORD, else asked without echo)')
    .action(async (username: string, opts: { role: string; passwordStdin?: boolean }, cmd: Command) => {
      const role = pickEnum(opts.role, ROLES, 'role');
      const password = opts.passwordStdin ? await readAll(ctx.io.stdin) : (ctx.env.HOTSWAP_NEW_PASSWORD ?? (await ask(ctx, 'password: ', true)));
      const user = await ctx.client(cmd).post<{ id: string; username: string; role: string }>('/api/v1/users', { username, password, role });
      ctx.print(cmd, user, (u) => [`created ${u.username} (${u.role}), id ${u.id}`]);
    });
}

async function ask(ctx: CliContext, question: string, hidden: boolean): Promise<string> {
  if (!ctx.io.stdin.isTTY) {
    throw new UsageError(`no ${hidden ? 'password' : 'username'} given`, hidden ? 'use --password-stdin or HOTSWAP_PASSWORD' : 'use --username or HOTSWAP_USERNAME');
  }
  return promptLine(question, ctx.io, hidden);
}
