import fs from 'node:fs';
import path from 'node:path';
import { isRecordedProcessAlive, readPidFile, removeFile, type PidRecord } from './pid-files';

export class StackAlreadyRunningError extends Error {
  constructor(readonly holder: PidRecord, dataDir: string) {
    super(
      `HotSwap is already running for ${dataDir} (pid ${holder.pid}, started ${holder.startedAt}). ` +
        `Stop it with Ctrl-C in its terminal or \`kill ${holder.pid}\`, or set HOTSWAP_DATA_DIR to run a second stack.`,
    );
    this.name = 'StackAlreadyRunningError';
  }
}

export interface StackLock {
  file: string;
  /** The previous holder, when it died without releasing the lock (a crash). */
  stale: PidRecord | undefined;
  release(): void;
}

/**
 * One stack per data dir: an exclusive-create pid file holding this process's pid. A file
 * whose process is gone (or is no longer the same program) is stale and taken over.
 */
export function acquireStackLock(runDir: string, dataDir: string): StackLock {
  fs.mkdirSync(runDir, { recursive: true });
  const file = path.join(runDir, 'stack.lock');
  const record: PidRecord = { pid: process.pid, command: process.argv[0], startedAt: new Date().toISOString(), owner: process.pid };
  let stale: PidRecord | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, `${JSON.stringify(record)}\n`, { flag: 'wx', mode: 0o644 });
      let released = false;
      return {
        file,
        stale,
        release() {
          if (released) return;
          released = true;
          if (readPidFile(file)?.pid === process.pid) removeFile(file);
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = readPidFile(file);
      if (holder && holder.pid !== process.pid && isRecordedProcessAlive(holder)) throw new StackAlreadyRunningError(holder, dataDir);
      stale = holder ?? stale;
      removeFile(file);
    }
  }
  throw new Error(`could not take ${file}: another stack is starting at the same time`);
}
