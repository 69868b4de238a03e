import type { ServerRecord } from '../../infra/mongo/server-registry';
import type { Logger } from '../../infra/telemetry/logger';
import { Upstream } from './upstream';

/** A server that refused a connection is skipped for this long (unless it is the only one). */
export const EJECT_MS = 3_000;
/** On a miss (a version nobody seems to hold), re-read heartbeats at most this often. */
const MISS_REFRESH_GAP_MS = 100;

export interface DirectoryDeps {
  /** Servers heard from recently (ServerRegistry.live with a bound wider than freshWithinMs). */
  liveServers(): Promise<ServerRecord[]>;
  /**
   * A server whose heartbeat is older than this is out of rotation — unless no fresh server
   * holds the version, when the stale ones still get its traffic ("panic mode", as Envoy's
   * panic threshold): when every server of a version looks stale at once, the cause is far more
   * often a lagging database or a starved host than all of them dying, and a request sent to a
   * server that is really gone fails fast and is retried, so it costs nothing. Undefined: every
   * server returned by liveServers is fresh.
   */
  freshWithinMs?: number;
  /** The service credential every request to a model server carries (SERVICE_TOKEN). */
  serviceToken: string;
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
  /** Versions routed to stale servers only (see DirectoryDeps.freshWithinMs). */
  private panicking = new Set<string>();
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
    const staleByVersion = new Map<string, Upstream[]>();
    const seen = new Set<string>();
    const fresh = this.deps.freshWithinMs;
    const now = this.now();
    for (const s of servers) {
      if (s.health === 'draining') continue;
      const target = fresh === undefined || now - new Date(s.heartbeatAt).getTime() <= fresh ? byVersion : staleByVersion;
      const key = `${s._id} ${s.url}`;
      let up = this.upstreams.get(key);
      if (!up) {
        up = new Upstream(s._id, s.url, this.deps.serviceToken);
        this.upstreams.set(key, up);
      }
      seen.add(key);
      for (const v of s.loaded) {
        if (v.state !== 'Ready') continue;
        let list = target.get(v.versionId);
        if (!list) target.set(v.versionId, (list = []));
        list.push(up);
      }
    }
    const panicking = new Set<string>();
    for (const [versionId, list] of staleByVersion) {
      if (byVersion.has(versionId)) continue;
      byVersion.set(versionId, list);
      panicking.add(versionId);
      if (!this.panicking.has(versionId)) {
        this.deps.log.warn({ versionId, servers: list.map((u) => u.id) }, 'gateway: no server of this version has a fresh heartbeat; routing to the stale ones until one is fresh again');
      }
    }
    this.panicking = panicking;
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

  /** True when the version's traffic goes to servers with stale heartbeats (no fresh one holds it). */
  isPanicking(versionId: string): boolean {
    return this.panicking.has(versionId);
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
