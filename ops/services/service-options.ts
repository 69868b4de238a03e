import type { LineSink, RestartPolicy, SupervisorEvent } from '../process-supervisor';

/** What every local service takes besides its own settings. */
export interface ServiceOptions {
  /** The service keeps its state under this folder (created if missing). */
  dataDir: string;
  host?: string;
  output?: LineSink;
  pidFile?: string;
  restart?: RestartPolicy | false;
  onEvent?: (event: SupervisorEvent) => void;
  readyTimeoutMs?: number;
  /** Environment to look up HOTSWAP_TOOLS_DIR in. */
  env?: NodeJS.ProcessEnv;
}
