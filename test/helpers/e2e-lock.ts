/**
 * One end-to-end stack at a time per jest run. Why: each stack is four node processes under
 * constant load, all writing to the run's single FerretDB on two cores; two at once (plus the
 * integration tests on the other worker) starved heartbeats, routing confirmations and
 * metric flushes until canary windows saw no candidate traffic. The lock is a file created
 * exclusively in the run's folder; a lock whose owner process died is taken over.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isProcessAlive } from '../../ops/pid-files';

const POLL_MS = 500;

function lockPath(): string {
  const dir = process.env.HOTSWAP_TEST_DATA_DIR;
  if (!dir) throw new Error('HOTSWAP_TEST_DATA_DIR is not set: run the end-to-end tests through jest (npm test)');
  return path.join(dir, 'e2e-stack.lock');
}

/** Waits (up to timeoutMs) for the lock; resolves to its release function. */
export async function acquireE2ELock(timeoutMs = 30 * 60_000): Promise<() => void> {
  const file = lockPath();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      let released = false;
      return () => {
        if (released) return;
        released = true;
        fs.rmSync(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = Number(fs.readFileSync(file, 'utf8').trim() || NaN);
    if (Number.isInteger(owner) && owner !== process.pid && !isProcessAlive(owner)) {
      fs.rmSync(file, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`another end-to-end stack held ${file} for more than ${timeoutMs} ms (owner pid ${owner})`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
