import type { ServerRecord, ServerRegistry } from '../infra/mongo/server-registry';
import { CoalescedTask } from '../infra/async/coalesced-task';
import type { Logger } from '../infra/telemetry/logger';

export type HeartbeatRecord = Omit<ServerRecord, 'schemaVersion' | 'heartbeatAt'>;

/**
 * Upserts this server's ServerRegistry document every `intervalMs` (url, loaded versions,
 * health), so the api routes only to servers that reported recently. A failed beat is logged
 * and retried at the next tick.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | null = null;
  private readonly sender = new CoalescedTask(() => this.send());
  private failures = 0;
  private stopped = false;
  beats = 0;

  constructor(
    private readonly registry: ServerRegistry,
    private readonly record: () => HeartbeatRecord,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.timer) return;
    void this.beat();
    this.timer = setInterval(() => void this.beat(), this.intervalMs);
    this.timer.unref();
  }

  /**
   * Sends a heartbeat with the current state: now, or right after the one in progress (callers
   * meanwhile share that one). Beats never overlap, and however slow the database, at most one
   * waits: ticks do not pile up behind a beat that takes seconds.
   */
  beat(): Promise<void> {
    return this.sender.run();
  }

  private async send(): Promise<void> {
    // After stop() a late beat would resurrect the document stop() removed.
    if (this.stopped) return;
    const record = this.record();
    try {
      await this.registry.heartbeat(record);
      this.beats++;
      if (this.failures > 0) this.logger.info({ afterFailures: this.failures }, 'heartbeat recovered');
      this.failures = 0;
    } catch (e) {
      // Log the first failure and then every 30th, not every tick.
      if (this.failures++ % 30 === 0) this.logger.warn({ err: e, serverId: record._id }, 'heartbeat failed');
    }
  }

  /** Stops beating; with `remove`, deletes this server's document so it leaves rotation at once. */
  async stop(remove: boolean, serverId: string): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sender.idle();
    if (remove) await this.registry.remove(serverId).catch((e: unknown) => this.logger.warn({ err: e, serverId }, 'could not remove the server document'));
  }
}
