/**
 * The environment for a local stack (ops/stack.ts) under test: a data dir, free ports for each of
 * its listeners, and the stand-in entry points of test/fixtures/stack-dist instead of a tsc build.
 */
import path from 'node:path';
import { freeStablePort, freeStablePorts, isPortFree } from '../../ops/free-port';
import { repoRoot, toolsDir } from '../../ops/repo-paths';

/** A port p with p+1 also free, for the two model servers (stable: see freeStablePorts). */
async function consecutiveFreePorts(): Promise<number> {
  for (;;) {
    const p = await freeStablePort();
    if (p < 65000 && (await isPortFree(p + 1))) return p;
  }
}

export interface LocalStackEnv {
  env: NodeJS.ProcessEnv;
  /** Every port the stack listens on (FerretDB, Temporal and its UI, api, worker, 2 model servers). */
  ports: number[];
}

/** Stable ports: a stack is started again on them, and a crashed child restarts on its port. */
export async function localStackEnv(dataDir: string): Promise<LocalStackEnv> {
  const [ferret, temporal, temporalUi, api, workerMetrics] = await freeStablePorts(5);
  const server = await consecutiveFreePorts();
  return {
    ports: [ferret, temporal, temporalUi, api, workerMetrics, server, server + 1],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HOTSWAP_TOOLS_DIR: toolsDir(),
      HOTSWAP_DATA_DIR: dataDir,
      HOTSWAP_DIST_DIR: path.join(repoRoot(), 'test', 'fixtures', 'stack-dist'),
      HOTSWAP_FERRETDB_PORT: String(ferret),
      HOTSWAP_TEMPORAL_PORT: String(temporal),
      HOTSWAP_TEMPORAL_UI_PORT: String(temporalUi),
      API_PORT: String(api),
      MODEL_SERVER_PORT: String(server),
      WORKER_METRICS_PORT: String(workerMetrics),
    },
  };
}
