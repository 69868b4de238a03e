import { withTimeout } from '../../infra/async/with-timeout';
import type { ServerRecord } from '../../infra/mongo/server-registry';
import { unservedVersions, type RoutedTable, type UnservedVersion } from '../../domain/serving/desired-state';
import { DEFAULT_POOL } from '../../domain/serving/placement';

export type ComponentStatus = 'healthy' | 'unhealthy' | 'degraded';

export interface ComponentHealth {
  status: ComponentStatus;
  required: boolean;
  latencyMs: number;
  error?: string;
  servers?: { id: string; url: string; pool: string; status: ComponentStatus; latencyMs: number; heartbeatAgeMs: number; loadedVersions: number; refused?: ServerRecord['refused']; error?: string }[];
  /** serving: the routed versions that no live model server holds Ready. */
  unserved?: UnservedVersion[];
}

export interface HealthReport {
  status: ComponentStatus;
  timestamp: string;
  components: Record<string, ComponentHealth>;
}

export interface HealthProbes {
  mongodb: () => Promise<void>;
  temporal: () => Promise<void>;
  artifactStore: () => Promise<void>;
  /** Registered model servers (from their heartbeats). */
  modelServers: () => Promise<ServerRecord[]>;
  /** The routing tables (what must be served). */
  routingTables: () => Promise<RoutedTable[]>;
  /** Asks one model server whether it is alive. */
  probeServer: (url: string, timeoutMs: number) => Promise<void>;
}

/**
 * Reports each component with status and latency. MongoDB, Temporal and the artifact store are
 * required (any down → unhealthy, HTTP 503). Model servers are reported per server; none live
 * makes the report degraded (HTTP 200), since the control plane still works without them.
 * `serving` is degraded, naming each one, while a version a routing table sends traffic to has
 * no live model server holding it Ready (after a restart: until the servers have reloaded it).
 */
export class HealthService {
  constructor(
    private readonly probes: HealthProbes,
    private readonly timeoutMs: number,
    private readonly heartbeatTimeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async report(): Promise<HealthReport> {
    const [mongodb, temporal, artifactStore, fleet] = await Promise.all([
      this.check(this.probes.mongodb),
      this.check(this.probes.temporal),
      this.check(this.probes.artifactStore),
      this.checkServers(),
    ]);
    const modelServers = fleet.health;
    const serving = await this.checkServing(fleet.records);
    const components = { mongodb, temporal, artifactStore, modelServers, serving };
    const required = [mongodb, temporal, artifactStore];
    const status: ComponentStatus = required.some((c) => c.status !== 'healthy') ? 'unhealthy' : modelServers.status === 'healthy' && serving.status === 'healthy' ? 'healthy' : 'degraded';
    return { status, timestamp: new Date(this.now()).toISOString(), components };
  }

  private async check(probe: () => Promise<void>, required = true): Promise<ComponentHealth> {
    const start = this.now();
    try {
      await withTimeout(probe(), this.timeoutMs);
      return { status: 'healthy', required, latencyMs: this.now() - start };
    } catch (e) {
      return { status: 'unhealthy', required, latencyMs: this.now() - start, error: (e as Error).message };
    }
  }

  /** Routed versions without a Ready live server; `records` null = the server registry could not be read. */
  private async checkServing(records: ServerRecord[] | null): Promise<ComponentHealth> {
    const start = this.now();
    if (!records) return { status: 'unhealthy', required: false, latencyMs: 0, error: 'the model-server registry could not be read' };
    let tables: RoutedTable[];
    try {
      tables = await withTimeout(this.probes.routingTables(), this.timeoutMs);
    } catch (e) {
      return { status: 'unhealthy', required: false, latencyMs: this.now() - start, error: (e as Error).message };
    }
    const ready = new Set<string>();
    for (const r of records)
      if (r.health !== 'draining' && this.now() - r.heartbeatAt.getTime() <= this.heartbeatTimeoutMs) for (const l of r.loaded) if (l.state === 'Ready') ready.add(l.versionId);
    const unserved = unservedVersions(tables, (v) => ready.has(v));
    return {
      status: unserved.length === 0 ? 'healthy' : 'degraded',
      required: false,
      latencyMs: this.now() - start,
      ...(unserved.length > 0 && { error: `no live model server holds ${unserved.map((u) => `${u.modelName} ${u.version} (${u.environment})`).join(', ')} Ready`, unserved }),
    };
  }

  private async checkServers(): Promise<{ health: ComponentHealth; records: ServerRecord[] | null }> {
    const start = this.now();
    let records: ServerRecord[];
    try {
      records = await withTimeout(this.probes.modelServers(), this.timeoutMs);
    } catch (e) {
      return { health: { status: 'unhealthy', required: false, latencyMs: this.now() - start, error: (e as Error).message, servers: [] }, records: null };
    }
    const servers = await Promise.all(
      records.map(async (r) => {
        const heartbeatAgeMs = this.now() - r.heartbeatAt.getTime();
        const t = this.now();
        const base = { id: r._id, url: r.url, pool: r.pool ?? DEFAULT_POOL, heartbeatAgeMs, loadedVersions: r.loaded.length, ...(r.refused?.length ? { refused: r.refused } : {}) };
        if (heartbeatAgeMs > this.heartbeatTimeoutMs) return { ...base, status: 'unhealthy' as const, latencyMs: 0, error: 'heartbeat expired' };
        try {
          await this.probes.probeServer(r.url, this.timeoutMs);
          return { ...base, status: 'healthy' as const, latencyMs: this.now() - t };
        } catch (e) {
          return { ...base, status: 'unhealthy' as const, latencyMs: this.now() - t, error: (e as Error).message };
        }
      }),
    );
    const live = servers.filter((s) => s.status === 'healthy').length;
    const status: ComponentStatus = live === 0 ? 'unhealthy' : live < servers.length ? 'degraded' : 'healthy';
    return {
      health: {
        status,
        required: false,
        latencyMs: this.now() - start,
        ...(live === 0 && { error: servers.length ? 'no model server answers' : 'no model server registered' }),
        servers,
      },
      records,
    };
  }
}
