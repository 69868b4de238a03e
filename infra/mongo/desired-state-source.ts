import type { Db } from 'mongodb';
import type { PoolServer, RoutedTable, RunningDeployment, ServingHold } from '../../domain/serving/desired-state';
import { DEFAULT_POOL } from '../../domain/serving/placement';
import type { Environment } from '../../domain/routing/environments';
import { DeploymentRepository } from './deployment-repository';
import { RoutingRepository } from './routing-repository';
import { ServerRegistry } from './server-registry';
import { ServingHoldRepository, type StoredHold } from './serving-hold-repository';

/** Everything stored that says what the model servers should hold. */
export interface StoredServingState {
  tables: RoutedTable[];
  running: RunningDeployment[];
  /** Holds of running deployments only. */
  holds: ServingHold[];
  /** Live, non-draining servers with their pools. */
  servers: PoolServer[];
}

/**
 * Reads the desired state from MongoDB (routing tables, running deployments, their holds, live
 * servers) in one pass. Holds whose deployment finished, or that expired, are dropped, and
 * deleted in passing.
 */
export class DesiredStateSource {
  private readonly routing: RoutingRepository;
  private readonly deployments: DeploymentRepository;
  private readonly holds: ServingHoldRepository;
  private readonly servers: ServerRegistry;

  constructor(db: Db, private readonly heartbeatTimeoutMs: number) {
    this.routing = new RoutingRepository(db);
    this.deployments = new DeploymentRepository(db);
    this.holds = new ServingHoldRepository(db);
    this.servers = new ServerRegistry(db);
  }

  async read(): Promise<StoredServingState> {
    const [tables, running, holds, live] = await Promise.all([this.routing.all(), this.deployments.running(), this.holds.all(), this.servers.live(this.heartbeatTimeoutMs)]);
    const now = Date.now();
    const runningIds = new Set(running.map((d) => d.deploymentId));
    const inForce = (h: StoredHold) => (h.expiresAt ? h.expiresAt.getTime() > now : runningIds.has(h.holder));
    const lapsed = [...new Set(holds.filter((h) => !inForce(h)).map((h) => h.holder))];
    // Best effort: a lapsed hold is ignored whether or not it is deleted.
    for (const holder of lapsed) void this.holds.release(holder).catch(() => undefined);
    return {
      tables: tables.map((t) => ({ modelId: t.modelId, modelName: t.modelName, environment: t.environment as Environment, pools: t.pools, shadow: t.shadow ?? null })),
      running,
      holds: holds.filter(inForce).map(({ expiresAt: _e, ...h }) => h),
      servers: live.filter((s) => s.health !== 'draining').map((s) => ({ id: s._id, pool: s.pool ?? DEFAULT_POOL })),
    };
  }
}
