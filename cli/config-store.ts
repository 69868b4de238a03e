import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** What `hotswap login` keeps between runs. */
export interface StoredSession {
  apiUrl: string;
  token: string;
  username: string;
  role: string | null;
  expiresAt: string | null;
}

export const DEFAULT_API_URL = 'http://localhost:8080';

/** $XDG_CONFIG_HOME/hotswap, else ~/.config/hotswap. */
export function configDir(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(env.HOME ?? os.homedir(), '.config');
  return path.join(base, 'hotswap');
}

export function sessionFile(env: NodeJS.ProcessEnv): string {
  return path.join(configDir(env), 'session.json');
}

/** The stored session, or null when there is none (or it is unreadable). */
export function readSession(env: NodeJS.ProcessEnv): StoredSession | null {
  try {
    const parsed = JSON.parse(fs.readFileSync(sessionFile(env), 'utf8')) as Partial<StoredSession>;
    if (typeof parsed.token !== 'string' || typeof parsed.apiUrl !== 'string') return null;
    return { apiUrl: parsed.apiUrl, token: parsed.token, username: parsed.username ?? '?', role: parsed.role ?? null, expiresAt: parsed.expiresAt ?? null };
  } catch {
    return null;
  }
}

/** Writes the session readable by the user only (directory 0700, file 0600, also when they existed). */
export function writeSession(env: NodeJS.ProcessEnv, session: StoredSession): string {
  const dir = configDir(env);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = sessionFile(env);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
  return file;
}

/**
 * The API URL: --api, else HOTSWAP_API, else the one logged in to, else localhost:8080.
 * Example: resolveApiUrl(undefined, { HOTSWAP_API: 'http://h:1/' }, null) === 'http://h:1'.
 */
export function resolveApiUrl(flag: string | undefined, env: NodeJS.ProcessEnv, session: StoredSession | null): string {
  return (flag || env.HOTSWAP_API || session?.apiUrl || DEFAULT_API_URL).replace(/\/+$/, '');
}

/**
 * The bearer token: HOTSWAP_TOKEN, else the stored session's when it was issued by the same API.
 * Example: a session for http://a with --api http://b → undefined (never send a token elsewhere).
 */
export function resolveToken(apiUrl: string, env: NodeJS.ProcessEnv, session: StoredSession | null): string | undefined {
  if (env.HOTSWAP_TOKEN) return env.HOTSWAP_TOKEN;
  return session && session.apiUrl === apiUrl ? session.token : undefined;
}
