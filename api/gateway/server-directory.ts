import type { ServerRecord } from '../../infra/mongo/server-registry';
import type { Logger } from '../../infra/telemetry/logger';
import { Upstream } from './upstream';

/** A server that refused a connection is skipped for this long (unless it is the only one). */
export const EJECT_MS = 3_000;
/** On a miss (a version nobody seems to hold), re-read heartbeats at most this often. */
const MISS_REFRESH_GAP_MS = 100;

export interface DirectoryDeps {
  /** Live servers (heartbeat within the timeout): ServerRegistry.live. */
  liveServers(): Promise<ServerRecord[]>;
  log: Logger;
  now?: () => number;
}

/**
 * Which model servers hold which version Ready, from their heartbeats in `model_servers`
 * (re-read every GATEWAY_SERVER_POLL_MS and on demand), and the choice among them: least
 * outstanding requests, ties rotated, ejected servers last. Draining servers and versions
 * that are not Ready get no traffic.
 */
export class ServerDirectory {
  private byVersion = new Map<string, Upstream[]>();
  private readonly upstreams = new Map<string, Upstream>();
  private refreshing: Promise<void> | null = null;
  private lastRefresh = 0;
  private rotation = 0;
  private failures = 0;
  private readonly now: () => number;

  constructor(private readonly deps: DirectoryDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Re-reads the heartbeats (single flight: concurrent callers share one read). */
  refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async load(): Promise<void> {
    let servers: ServerRecord[];
    try {
      servers = await this.deps.liveServers();
      if (this.failures > 0) this.deps.log.info({ afterFailures: this.failures }, 'gateway: model-server directory readable again');
      this.failures = 0;
    } catch (err) {
      // Keep routing with what we knew: a database blip must not stop inference.
      if (this.failures++ % 20 === 0) this.deps.log.warn({ err }, 'gateway: cannot read model-server heartbeats; keeping the last known servers');
      return;
    } finally {
      this.lastRefresh = this.now();
    }
    const byVersion = new Map<string, Upstream[]>();
    const seen = new Set<string>();
    for (const s of servers) {
      if (s.health === 'draining') continue;
      const key = `${s._id} ${s.url}`;
      let up = this.upstreams.get(key);
      if (!up) {
        up = new Upstream(s._id, s.url);
        this.upstreams.set(key, up);
      }
      seen.add(key);
      for (const v of s.loaded) {
        if (v.state !== 'Ready') continue;
        let list = byVersion.get(v.versionId);
        if (!list) byVersion.set(v.versionId, (list = []));
        list.push(up);
      }
    }
    for (const [key, up] of this.upstreams) {
      if (seen.has(key)) continue;
      this.upstreams.delete(key);
      up.retired = true;
      if (up.outstanding === 0) up.close();
    }
    this.byVersion = byVersion;
  }

  /** How many live servers hold the version Ready. */
  count(versionId: string): number {
    return this.byVersion.get(versionId)?.length ?? 0;
  }

  /** True when some live server holds the version Ready. */
  has(versionId: string): boolean {
    return this.byVersion.has(versionId);
  }

  /** Re-reads heartbeats when the last read is older than a short gap (a miss on the hot path). */
  async refreshOnMiss(): Promise<void> {
    if (this.now() - this.lastRefresh >= MISS_REFRESH_GAP_MS || this.refreshing) await this.refresh();
  }

  /**
   * The server to send a request for `versionId` to: fewest outstanding requests among the
   * servers holding it, skipping `exclude` (the one that just failed) when there is another,
   * and ejected servers unless nothing else is left. Undefined when no server holds it.
   */
  pick(versionId: string, exclude?: Upstream): Upstream | undefined {
    const list = this.byVersion.get(versionId);
    if (!list) return undefined;
    const n = list.length;
    if (n === 1) return list[0];
    const now = this.now();
    const start = this.rotation++ % n;
    let best: Upstream | undefined;
    let bestScore = Infinity;
    for (let k = 0; k < n; k++) {
      const up = list[(start + k) % n];
      // Penalties keep excluded and ejected servers as last resorts, not forbidden ones.
      let score = up.outstanding;
      if (up === exclude) score += 1e9;
      if (up.ejectedUntil > now) score += 1e6;
      if (score < bestScore) {
        bestScore = score;
        best = up;
      }
    }
    return best;
  }

  eject(up: Upstream): void {
    up.ejectedUntil = this.now() + EJECT_MS;
  }

  /** Servers holding a version Ready (ids), for diagnostics and tests. */
  serversOf(versionId: string): string[] {
    return (this.byVersion.get(versionId) ?? []).map((u) => u.id);
  }

  close(): void {
    for (const up of this.upstreams.values()) up.close();
    this.upstreams.clear();
    this.byVersion = new Map();
  }
}
