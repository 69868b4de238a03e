/**
 * Temporal test environments over the binaries of the tools cache (never a download):
 * - createTimeSkippingEnv(): a private time-skipping test server per call (timers jump).
 * - createLocalEnv(): a connection to the dev server global setup started (real time, full
 *   server, HotSwap search attributes). Isolate tests there with unique task queues / ids.
 * Call `env.teardown()` in afterAll.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { testTemporalAddress, testTemporalTestServerPath } from './services';

/**
 * Installs the SDK runtime with a logger that prints only warnings and errors (level from
 * HOTSWAP_TEST_TEMPORAL_LOG_LEVEL), so worker state changes do not flood test output.
 * Does nothing when this test file already created the runtime.
 */
export function installQuietTemporalRuntime(): void {
  const level = (process.env.HOTSWAP_TEST_TEMPORAL_LOG_LEVEL || 'WARN') as LogLevel;
  try {
    Runtime.install({ logger: new DefaultLogger(level) });
  } catch {
    // already installed or instantiated in this module registry: keep it
  }
}

export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  installQuietTemporalRuntime();
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testTemporalTestServerPath() } },
  });
}

export async function createLocalEnv(namespace = 'default'): Promise<TestWorkflowEnvironment> {
  installQuietTemporalRuntime();
  return TestWorkflowEnvironment.createFromExistingServer({ address: testTemporalAddress(), namespace });
}
