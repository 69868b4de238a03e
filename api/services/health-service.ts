import { withTimeout } from '../../infra/async/with-timeout';
import type { ServerRecord } from '../../infra/mongo/server-registry';

export type ComponentStatus = 'healthy' | 'unhealthy' | 'degraded';

export interface ComponentHealth {
  status: ComponentStatus;
  required: boolean;
  latencyMs: number;
  error?: string;
  servers?: { id: string; url: string; status: ComponentStatus; latencyMs: number; heartbeatAgeMs: number; loadedVersions: number; error?: string }[];
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
  /** Asks one model server whether it is alive. */
  probeServer: (url: string, timeoutMs: number) => Promise<void>;
}

/**
 * Reports each component with status and latency. MongoDB, Temporal and the artifact store are
 * required (any down → unhealthy, HTTP 503). Model servers are reported per server; none live
 * makes the report degraded (HTTP 200), since the control plane still works without them.
 */
export class HealthService {
  constructor(
    private readonly probes: HealthProbes,
    private readonly timeoutMs: number,
    private readonly heartbeatTimeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async report(): Promise<HealthReport> {
    const [mongodb, temporal, artifactStore, modelServers] = await Promise.all([
      this.check(this.probes.mongodb),
      this.check(this.probes.temporal),
      this.check(this.probes.artifactStore),
      this.checkServers(),
    ]);
    const components = { mongodb, temporal, artifactStore, modelServers };
    const required = [mongodb, temporal, artifactStore];
    const status: ComponentStatus = required.some((c) => c.status !== 'healthy') ? 'unhealthy' : modelServers.status === 'healthy' ? 'healthy' : 'degraded';
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

  private async checkServers(): Promise<ComponentHealth> {
    const start = this.now();
    let records: ServerRecord[];
    try {
      records = await withTimeout(this.probes.modelServers(), this.timeoutMs);
    } catch (e) {
      return { status: 'unhealthy', required: false, latencyMs: this.now() - start, error: (e as Error).message, servers: [] };
    }
    const servers = await Promise.all(
      records.map(async (r) => {
        const heartbeatAgeMs = this.now() - r.heartbeatAt.getTime();
        const t = this.now();
        const base = { id: r._id, url: r.url, heartbeatAgeMs, loadedVersions: r.loaded.length };
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
      status,
      required: false,
      latencyMs: this.now() - start,
      ...(live === 0 && { error: servers.length ? 'no model server answers' : 'no model server registered' }),
      servers,
    };
  }
}
