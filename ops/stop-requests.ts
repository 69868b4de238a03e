/**
 * What asks the local stack to stop: SIGINT, SIGTERM, SIGHUP, and (when it runs under
 * `npm start`) the death of its parent. The first request starts a graceful stop; a second
 * signal forces it (SIGKILL to every child).
 */

export type StopReason = NodeJS.Signals | 'parent exited';

export interface StopRequestOptions {
  /** A graceful stop was asked for (called once). */
  onStop: (reason: StopReason) => void;
  /** A second signal came while stopping: kill everything now (called once). */
  onForce: (signal: NodeJS.Signals) => void;
  /** Also stop when the parent process goes (its pid changes: we were re-parented). */
  watchParent: boolean;
  /**
   * A signal this soon after the first one is the same request, not a second one. Why: Ctrl-C
   * in a terminal sends SIGINT to the whole foreground group, so the stack gets it from the
   * terminal and once more from npm, which forwards SIGINT and SIGTERM to its script.
   */
  duplicateWindowMs?: number;
  parentPollMs?: number;
  log: (msg: string) => void;
}

export interface StopRequests {
  /** Removes the handlers and the parent watch. */
  dispose(): void;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export function listenForStopRequests(opts: StopRequestOptions): StopRequests {
  const window = opts.duplicateWindowMs ?? 1000;
  let firstAt: number | undefined;
  let forced = false;

  const request = (reason: StopReason) => {
    if (firstAt === undefined) {
      firstAt = Date.now();
      const what = reason === 'parent exited' ? 'the parent process (npm) exited' : `${reason} received`;
      opts.log(`${what}: stopping (a second Ctrl-C kills everything at once)`);
      opts.onStop(reason);
      return;
    }
    if (reason === 'parent exited' || forced) return;
    if (Date.now() - firstAt < window) return;
    forced = true;
    opts.log(`${reason} received again: killing every process now`);
    opts.onForce(reason);
  };

  const handlers = SIGNALS.map((s) => {
    const h = () => request(s);
    process.on(s, h);
    return [s, h] as const;
  });

  let timer: NodeJS.Timeout | undefined;
  if (opts.watchParent) {
    const parent = process.ppid;
    timer = setInterval(() => {
      // Reading process.ppid asks the kernel each time: it changes once the parent is gone.
      if (process.ppid !== parent) {
        clearInterval(timer);
        request('parent exited');
      }
    }, opts.parentPollMs ?? 250);
    timer.unref();
  }

  return {
    dispose() {
      for (const [s, h] of handlers) process.off(s, h);
      if (timer) clearInterval(timer);
    },
  };
}
