/**
 * "Load first, then move traffic": before a routing change sends traffic to a version, make
 * sure a live model server of the environment's pool holds it Ready. A version nobody holds gets a `keep` hold on the
 * servers placement picks (the model servers' reconcilers load it), and the caller waits until
 * one of them reports it Ready — or learns why it cannot be (no server in the pool, a server
 * refused it, e.g. over its memory budget).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ErrorCode } from '../../domain/errors';
import type { Environment } from '../../domain/routing/environments';
import { DEFAULT_POOL, placeVersion, type PlacementMap } from '../../domain/serving/placement';
import type { ServerRecord, ServerRegistry } from '../mongo/server-registry';
import type { ServingHoldRepository } from '../mongo/serving-hold-repository';

const POLL_MS = 200;
const PERMANENT: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['INSUFFICIENT_CAPACITY', 'VALIDATION_ERROR', 'CHECKSUM_MISMATCH', 'VERSION_NOT_FOUND']);

export interface LoadFirstDeps {
  servers: Pick<ServerRegistry, 'live'>;
  holds: Pick<ServingHoldRepository, 'put'>;
  heartbeatTimeoutMs: number;
  placement: PlacementMap;
}

export interface LoadFirstRequest {
  /** Who holds the version while it loads: a deploymentId, or `routing:<model>:<environment>` with `expiresAt`. */
  holder: string;
  modelId: string;
  modelName: string;
  environment: Environment;
  versions: { versionId: string; version: string }[];
  timeoutMs: number;
  expiresAt?: Date;
  signal?: AbortSignal;
  /** Called on every poll while waiting (activity heartbeats). */
  onWait?: () => void;
}

/** Why a version could not be made Ready in time. */
export interface NotReady {
  versionId: string;
  version: string;
  /** no-server: the pool has no live server; refused: a server refused it (reason says why); timeout: still loading. */
  kind: 'no-server' | 'refused' | 'timeout';
  reason: string;
}

export interface LoadFirstResult {
  /** Versions that were not Ready anywhere and were loaded first. */
  loaded: string[];
  notReady: NotReady[];
}

const live = (servers: ServerRecord[]) => servers.filter((s) => s.health !== 'draining');
const readyOn = (servers: ServerRecord[], versionId: string) => servers.filter((s) => s.loaded.some((l) => l.versionId === versionId && l.state === 'Ready'));

export async function loadFirst(deps: LoadFirstDeps, req: LoadFirstRequest): Promise<LoadFirstResult> {
  const { pool, replicas } = deps.placement[req.environment];
  const inPool = (servers: ServerRecord[]) => servers.filter((s) => (s.pool ?? DEFAULT_POOL) === pool);
  // Ready counts in the environment's pool only: a server of another pool serves other environments.
  const servers = inPool(live(await deps.servers.live(deps.heartbeatTimeoutMs)));
  const missing = req.versions.filter((v) => readyOn(servers, v.versionId).length === 0);
  if (missing.length === 0) return { loaded: [], notReady: [] };

  const poolIds = servers.map((s) => s._id);
  const notReady: NotReady[] = [];
  const waiting: { versionId: string; version: string; placed: string[] }[] = [];
  for (const v of missing) {
    const placed = placeVersion(v.versionId, poolIds, replicas);
    if (placed.length === 0) {
      notReady.push({ ...v, kind: 'no-server', reason: `no live model server in pool "${pool}" (the pool of ${req.environment}) to load ${req.modelName} ${v.version} on` });
      continue;
    }
    await deps.holds.put({ holder: req.holder, modelId: req.modelId, modelName: req.modelName, environment: req.environment, versionId: v.versionId }, 'keep', placed, req.expiresAt ? { expiresAt: req.expiresAt } : {});
    waiting.push({ ...v, placed });
  }

  const deadline = Date.now() + req.timeoutMs;
  while (waiting.length > 0) {
    const now = inPool(live(await deps.servers.live(deps.heartbeatTimeoutMs)));
    for (let i = waiting.length - 1; i >= 0; i--) {
      const w = waiting[i];
      if (readyOn(now, w.versionId).length > 0) {
        waiting.splice(i, 1);
        continue;
      }
      // Refused for good (no memory for it, a model that does not load) by every placed server
      // that is still live: waiting longer will not help. Other failures (the artifact store
      // away) are retried by the servers, so keep waiting.
      const refusals = now
        .filter((s) => w.placed.includes(s._id))
        .flatMap((s) => (s.refused ?? []).filter((r) => r.versionId === w.versionId && PERMANENT.has(r.code)).map((r) => `${s._id}: ${r.reason}`));
      const placedLive = now.filter((s) => w.placed.includes(s._id));
      if (placedLive.length > 0 && refusals.length >= placedLive.length) {
        notReady.push({ versionId: w.versionId, version: w.version, kind: 'refused', reason: refusals.join('; ') });
        waiting.splice(i, 1);
      }
    }
    if (waiting.length === 0) break;
    if (Date.now() >= deadline) {
      for (const w of waiting) notReady.push({ versionId: w.versionId, version: w.version, kind: 'timeout', reason: `${req.modelName} ${w.version} is not Ready on ${w.placed.join(', ')} after ${req.timeoutMs} ms (still loading)` });
      break;
    }
    req.onWait?.();
    await sleep(POLL_MS, undefined, req.signal ? { signal: req.signal } : {});
  }
  return { loaded: missing.filter((m) => !notReady.some((n) => n.versionId === m.versionId)).map((m) => m.versionId), notReady };
}
