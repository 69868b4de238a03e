/**
 * Runs an async task one at a time, and never queues more than one run behind it: calls made
 * while it runs share a single follow-up run, which starts when the current one ends (and so
 * sees the latest state). A periodic report (a heartbeat every 200 ms) against a slow or
 * unreachable database therefore keeps at most two runs alive, instead of a backlog that grows
 * by one per tick and that a caller waiting for "one more report" would wait behind.
 *
 * The task's failures are the task's business: a rejected run is passed to its callers, and
 * the next run starts anyway.
 */
export class CoalescedTask {
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;

  constructor(private readonly task: () => Promise<void>) {}

  /** A run that starts now, or the one follow-up run after the current one. */
  run(): Promise<void> {
    if (!this.running) return this.start();
    this.next ??= this.running.then(this.startNext, this.startNext);
    return this.next;
  }

  /** Settles once no run is in progress or pending (never rejects). */
  async idle(): Promise<void> {
    while (this.running || this.next) await (this.next ?? this.running)!.catch(() => undefined);
  }

  private readonly startNext = (): Promise<void> => {
    this.next = null;
    return this.start();
  };

  private start(): Promise<void> {
    const p = Promise.resolve()
      .then(this.task)
      .finally(() => {
        if (this.running === p) this.running = null;
      });
    this.running = p;
    return p;
  }
}
