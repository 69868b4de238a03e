import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { ManagedProcess } from '../process-supervisor';
import { allProbes, tcpProbe, type Probe } from '../probes';
import { toolPath } from '../repo-paths';
import type { ServiceOptions } from './service-options';

/** The custom search attributes HotSwap's workflows set; all Keyword. */
export const HOTSWAP_SEARCH_ATTRIBUTES = ['ModelName', 'ModelVersion', 'DeploymentStrategy', 'Environment', 'DeploymentPhase'] as const;

// temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD; a literal so ops needs
// no direct dependency on @temporalio/proto.
const INDEXED_VALUE_TYPE_KEYWORD = 2;

export interface TemporalDevServer {
  process: ManagedProcess;
  port: number;
  /** host:port of the frontend gRPC service, as TEMPORAL_ADDRESS expects it. */
  address: string;
  uiUrl: string | undefined;
}

export interface TemporalDevServerOptions extends ServiceOptions {
  port: number;
  /** Web UI port; no UI (headless) when omitted. */
  uiPort?: number;
  /** Persist to <dataDir>/temporal.sqlite; in memory when false. */
  persist?: boolean;
  namespace?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

/**
 * Dynamic configuration of the dev server:
 * - eager activity dispatch: an activity a workflow task schedules on its own task queue comes
 *   back to the worker with the task's completion, with no matching round trip (the route of a
 *   rollback is one such activity);
 * - the history service's caches of workflows (mutable state and events) keep an entry 2 minutes
 *   after its last use (default 1 hour) and are swept every 30 s. Why: a deployment's workflow is
 *   rarely touched once it ended, and with the 1-hour default the dev server's memory grew with
 *   every deployment of the last hour (+45 % over a 100-cycle soak, docs/RELIABILITY.md).
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Readonly<Record<string, unknown>> = {
  'system.enableActivityEagerExecution': true,
  'history.cacheTTL': '2m',
  'history.eventsCacheTTL': '2m',
  'history.cacheBackgroundEvict': { Enabled: true, LoopInterval: '30s', MaxEntryPerCall: 512 },
};

/**
 * `temporal server start-dev` bound to one IP, with the HotSwap search attributes. The
 * --search-attribute flags only apply to a fresh database, so readiness also creates any
 * that are missing (e.g. added to the list after the database was made).
 * Not started yet: call `process.start()`.
 */
export function temporalDevServer(opts: TemporalDevServerOptions): TemporalDevServer {
  const host = opts.host ?? '127.0.0.1';
  const namespace = opts.namespace ?? 'default';
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const dir = path.resolve(opts.dataDir);
  const args = ['server', 'start-dev', '--ip', host, '--port', String(opts.port), '--log-level', opts.logLevel ?? 'warn'];
  if (opts.persist !== false) args.push('--db-filename', path.join(dir, 'temporal.sqlite'));
  if (opts.uiPort !== undefined) args.push('--ui-port', String(opts.uiPort), '--ui-disable-news-fetch');
  else args.push('--headless');
  if (namespace !== 'default') args.push('--namespace', namespace);
  for (const name of HOTSWAP_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${name}=Keyword`);
  for (const [key, value] of Object.entries(DEV_SERVER_DYNAMIC_CONFIG)) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  const address = `${host}:${opts.port}`;
  const managed = new ManagedProcess({
    name: 'temporal',
    command: toolPath('temporal', opts.env),
    args,
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir },
    listens: [{ host, port: opts.port }, ...(opts.uiPort !== undefined ? [{ host, port: opts.uiPort }] : [])],
    ready: allProbes(tcpProbe(host, opts.port), temporalReadyProbe(address, namespace)),
    readyTimeoutMs: opts.readyTimeoutMs ?? 60_000,
    stopGraceMs: 10_000,
    pidFile: opts.pidFile,
    output: opts.output,
    quietWhileStopping: true,
    restart: opts.restart,
    onEvent: opts.onEvent,
  });
  return {
    process: managed,
    port: opts.port,
    address,
    uiUrl: opts.uiPort === undefined ? undefined : `http://${host}:${opts.uiPort}`,
  };
}

/** Up when the frontend reports SERVING and the namespace has every HotSwap search attribute. */
export function temporalReadyProbe(address: string, namespace = 'default'): Probe {
  return async () => {
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: '2s' });
      const health = await connection.healthService.check({ service: 'temporal.api.workflowservice.v1.WorkflowService' });
      if (Number(health.status) !== 1 /* SERVING */) return false;
      await ensureSearchAttributes(connection, namespace);
      return true;
    } catch {
      return false;
    } finally {
      await connection?.close().catch(() => undefined);
    }
  };
}

/** Creates the HotSwap search attributes that `namespace` lacks; idempotent. */
export async function ensureSearchAttributes(connection: Connection, namespace = 'default'): Promise<void> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = HOTSWAP_SEARCH_ATTRIBUTES.filter((name) => !(customAttributes && name in customAttributes));
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((name) => [name, INDEXED_VALUE_TYPE_KEYWORD])),
  });
}
