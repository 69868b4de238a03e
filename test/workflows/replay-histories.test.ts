/**
 * Replays recorded histories of real runs against today's workflow code: a change that would
 * break deployments already running (a non-deterministic edit) fails here. Histories live in
 * test/fixtures/histories/*.json; re-record them with `npm run record-histories`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { installQuietTemporalRuntime } from '../helpers/temporal-test-env';
import { DIR, SCENARIOS, fromFile, quietLogger } from './history-scenarios';

describe('replay of recorded deployment histories', () => {
  const files = fs.existsSync(DIR) ? fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort() : [];

  it('has a recorded history for every scenario', () => {
    expect(files.map((f) => f.replace(/\.json$/, ''))).toEqual(SCENARIOS.map((s) => s.name).sort());
  });

  it('replays every history with the current workflow code without a determinism error', async () => {
    installQuietTemporalRuntime();
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietLogger });
    const histories = files.map((f) => ({ workflowId: f.replace(/\.json$/, ''), history: fromFile(fs.readFileSync(path.join(DIR, f), 'utf8')) }));
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${String(result.error)}`);
    }
    expect(failures).toEqual([]);
  });
});
