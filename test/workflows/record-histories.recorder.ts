/**
 * Records the histories that replay-histories.test.ts replays. Run on purpose only, when a
 * change is meant to be incompatible and ships with workflow versioning (patched()):
 *   npm run record-histories
 * Not part of `npm test` (its name does not match *.test.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHarness, runDeployment, type Harness } from './helpers/temporal-harness';
import { DIR, SCENARIOS, toFile } from './history-scenarios';

describe('record histories', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
    fs.mkdirSync(DIR, { recursive: true });
  });
  afterAll(async () => {
    await h?.env.teardown();
  });

  it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', async (name, scenario) => {
    await runDeployment(h, scenario.input(), scenario.world ?? {}, async (r) => {
      await scenario.drive?.(r, h);
      await r.handle.result().catch(() => undefined);
      // The first run's history (for continue-as-new it ends with the continue-as-new command).
      const first = h.env.client.workflow.getHandle(r.handle.workflowId, r.handle.firstExecutionRunId);
      fs.writeFileSync(path.join(DIR, `${name}.json`), toFile(await first.fetchHistory()));
    });
  });
});

