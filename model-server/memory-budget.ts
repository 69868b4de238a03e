import fs from 'node:fs';
import os from 'node:os';

/** Share of the memory available to the process that loaded versions may take when no budget is set. */
const AUTO_SHARE = 0.8;

/** The cgroup v2 (or v1) memory limit of this process in bytes, or null when there is none. */
export function cgroupMemoryLimit(read: (file: string) => string | null = readText): number | null {
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    const text = read(file)?.trim();
    if (!text || text === 'max') continue;
    const n = Number(text);
    // cgroup v1 reports "no limit" as a huge number (close to 2^63).
    if (Number.isFinite(n) && n > 0 && n < 2 ** 60) return n;
  }
  return null;
}

/** MODEL_SERVER_MEMORY_BUDGET_MB in bytes; 0 = 80 % of the cgroup limit, else of the machine's memory. */
export function memoryBudgetBytes(configuredMb: number, limit: number | null = cgroupMemoryLimit(), total: number = os.totalmem()): number {
  if (configuredMb > 0) return configuredMb * 1024 * 1024;
  return Math.floor(Math.min(limit ?? Infinity, total) * AUTO_SHARE);
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}
