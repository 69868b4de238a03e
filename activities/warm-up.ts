/** Loading, unloading and health of a version on the model servers (through their control API). */
import type { ServerHealth, UnloadResult, WarmUpResult } from './deployment-activity-types';
import type { ModelVersion } from '../domain/models/model';
import { loadRequestFor } from '../domain/serving/load-request';
import type { ServingHold } from '../domain/serving/desired-state';
import type { ServerRecord } from '../infra/mongo/server-registry';
import type { DeploymentActivityDeps } from './deployment-deps';
import { badInput, beat, cancellation, errorText, findModelVersion, holdersOf, liveServers, pause } from './activity-support';
import { ServerUnreachableError } from './model-server-client';

/** Attempts per server when it cannot be reached (loading is idempotent on the server). */
const LOAD_ATTEMPTS = 3;
const REPORT_POLL_MS = 100;
/** How often a load waiting for the artifact store is tried again. */
const STORE_RETRY_MS = 2000;

/** The hold a deployment writes about a version on named servers. */
function holdOf(deploymentId: string, modelName: string, version: { versionId: string; modelId: string }): Omit<ServingHold, 'server' | 'kind'> {
  return { holder: deploymentId, modelId: version.modelId, modelName, versionId: version.versionId };
}

export function createWarmUpActivities(deps: DeploymentActivityDeps) {
  /** Loads on one server; resolves to a failure reason, or null once the server's heartbeat reports the version Ready. */
  async function loadOn(serverId: string, byId: Map<string, ServerRecord>, version: ModelVersion, modelName: string, signal: AbortSignal | undefined): Promise<string | null> {
    const server = byId.get(serverId);
    if (!server) return 'not a live model server';
    let outcome;
    for (let attempt = 1; ; attempt++) {
      try {
        outcome = await deps.modelServers.load(server.url, loadRequestFor(version, modelName), signal);
      } catch (e) {
        if (signal?.aborted) throw e;
        if (!(e instanceof ServerUnreachableError) || attempt >= LOAD_ATTEMPTS) return errorText(e);
        await pause(500 * attempt, signal);
        continue;
      }
      // The artifact store is away: the server could not fetch it. Retry until it is back, or
      // until the warm-up's time runs out (the activity's timeout; cancellation stops it too).
      if (!outcome.ok && outcome.code === 'SERVICE_UNAVAILABLE') {
        beat({ waitingFor: 'artifact store', server: serverId, reason: outcome.reason });
        await pause(STORE_RETRY_MS, signal);
        continue;
      }
      break;
    }
    if (!outcome.ok) return `${outcome.code}: ${outcome.reason}`;
    // Why wait for the heartbeat: gateways learn where a version is Ready from heartbeats, and
    // traffic must not move before they can find it.
    const deadline = Date.now() + deps.settings.serverHeartbeatTimeoutMs;
    for (;;) {
      const live = await deps.servers.live(deps.settings.serverHeartbeatTimeoutMs);
      if (holdersOf(live, version.versionId).includes(serverId)) return null;
      if (Date.now() > deadline) return 'loaded, but its heartbeat did not report the version Ready in time';
      await pause(REPORT_POLL_MS, signal);
    }
  }

  return {
    /**
     * Loads the version on each server in parallel and returns once each reported it Ready (in
     * its heartbeat) or failed. Heartbeats while waiting; cancellation aborts the loads. A
     * version already Ready on a server is a no-op there (the control API is idempotent).
     */
    async warmUpVersion(input: { deploymentId: string; modelId: string; versionId: string; servers: string[] }): Promise<WarmUpResult> {
      const { model, version } = await findModelVersion(deps, input.modelId, input.versionId);
      if (version.status === 'Archived') throw badInput('CONFLICT', `${model.name} ${version.version} is archived and cannot be loaded`);
      // Desired state first: a server that restarts while this deployment runs loads it again by itself.
      await deps.holds.put(holdOf(input.deploymentId, model.name, version), 'keep', input.servers);
      const byId = new Map((await liveServers(deps)).map((s) => [s._id, s]));
      const signal = cancellation();
      const timer = setInterval(() => beat({ loading: input.servers }), 5000);
      try {
        const results = await Promise.all(input.servers.map(async (s) => ({ server: s, reason: await loadOn(s, byId, version, model.name, signal) })));
        return {
          ready: results.filter((r) => r.reason === null).map((r) => r.server),
          failed: results.flatMap((r) => (r.reason === null ? [] : [{ server: r.server, reason: r.reason }])),
        };
      } finally {
        clearInterval(timer);
      }
    },

    /**
     * Unloads from the given servers (default: every live one). Refuses (non-retryable CONFLICT)
     * when a routing table still sends traffic to the version and no other server would keep
     * it: the workflows route away first, so this only happens when another environment or a
     * manual route uses it. With keepIfRouted that case is not an error: the version stays
     * loaded everywhere (retiring a version another environment still serves). In-flight
     * requests drain on the server (DELETE waits for them).
     */
    async unloadVersion(input: { deploymentId: string; modelId: string; versionId: string; servers?: string[]; keepIfRouted?: boolean }): Promise<UnloadResult> {
      const [live, routes] = await Promise.all([deps.servers.live(deps.settings.serverHeartbeatTimeoutMs), deps.routing.routesTo(input.modelId, input.versionId)]);
      const targets = input.servers ?? live.map((s) => s._id);
      if (routes.length > 0) {
        const keep = holdersOf(live.filter((s) => s.health !== 'draining'), input.versionId).filter((s) => !targets.includes(s));
        if (keep.length === 0) {
          const where = routes.map((r) => `${r.environment} (revision ${r.revision})`).join(', ');
          if (input.keepIfRouted) return { unloadedFrom: [], kept: `the routing table of ${where} still sends it traffic (another environment, or a first deployment with nothing to route back to)` };
          throw badInput('CONFLICT', `version ${input.versionId} still receives traffic from the routing table of ${where}; route away from it before unloading`);
        }
      }
      // Desired state first: this deployment does not want it there any more (a model server's
      // reconciler must not load it back while the deployment runs).
      await deps.holds.put(holdOf(input.deploymentId, live.flatMap((s) => s.loaded).find((l) => l.versionId === input.versionId)?.modelName ?? input.modelId, input), 'exclude', input.servers ?? ['*']);
      const byId = new Map(live.map((s) => [s._id, s]));
      const signal = cancellation();
      const failures: string[] = [];
      await Promise.all(
        targets.map(async (id) => {
          const server = byId.get(id);
          if (!server) return; // not live: nothing is loaded there any more
          try {
            await deps.modelServers.unload(server.url, input.versionId, signal);
          } catch (e) {
            failures.push(`${id}: ${errorText(e)}`);
          }
          beat();
        }),
      );
      if (failures.length > 0) throw new Error(`unload of ${input.versionId} failed on ${failures.join('; ')}`);
      return { unloadedFrom: targets, kept: null };
    },

    /** Health (live, not draining) and readiness (asked of the server itself) of the version on each server. */
    async checkServerHealth(input: { modelId: string; versionId: string; servers: string[] }): Promise<ServerHealth[]> {
      const live = new Map((await deps.servers.live(deps.settings.serverHeartbeatTimeoutMs)).map((s) => [s._id, s]));
      return Promise.all(
        input.servers.map(async (id): Promise<ServerHealth> => {
          const s = live.get(id);
          if (!s) return { server: id, healthy: false, ready: false, reason: 'no recent heartbeat' };
          if (s.health !== 'healthy') return { server: id, healthy: false, ready: false, reason: `server is ${s.health}` };
          try {
            const v = await deps.modelServers.version(s.url, input.versionId);
            if (!v) return { server: id, healthy: true, ready: false, reason: 'version not loaded' };
            return { server: id, healthy: true, ready: v.state === 'Ready', ...(v.state !== 'Ready' && { reason: `version is ${v.state}` }) };
          } catch (e) {
            return { server: id, healthy: false, ready: false, reason: errorText(e) };
          }
        }),
      );
    },
  };
}
