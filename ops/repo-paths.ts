import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The repository root: the nearest folder above this file that holds package.json
 * (works from ops/*.ts under jest/tsx and from dist/ops/*.js after the build). */
export function repoRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
}

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
