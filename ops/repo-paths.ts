import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export { repoRoot } from '../infra/config/repo-root';

/**
 * Where scripts/setup-tools.sh installs the service binaries: a per-user cache shared by every
 * clone of the repository (they are pinned by version stamps, and building FerretDB and helm
 * takes minutes), `$XDG_CACHE_HOME/hotswap/tools` or `~/.cache/hotswap/tools`;
 * HOTSWAP_TOOLS_DIR overrides.
 */
export function toolsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HOTSWAP_TOOLS_DIR) return path.resolve(env.HOTSWAP_TOOLS_DIR);
  return path.join(env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache'), 'hotswap', 'tools');
}

/** Absolute path of an installed tool; throws one clear line when it is missing. */
export function toolPath(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const p = path.join(toolsDir(env), 'bin', name);
  if (!existsSync(p)) throw new Error(`${p} not found: run scripts/setup-tools.sh first`);
  return p;
}
