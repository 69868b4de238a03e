/**
 * A SIGKILL loses no answered prediction: a real process records predictions as the gateway
 * does (record, commit, answer) with a writer that would not flush for 10 minutes, is killed
 * with SIGKILL, and the next recorder sharing its spill folder puts every answered request id in
 * the run's FerretDB (from the dead process's journal).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { PredictionRecorder } from '../../api/prediction-log/prediction-recorder';
import { createLogger } from '../../infra/telemetry/logger';
import { repoRoot } from '../../ops/repo-paths';
import { createTestMongo, makeTestDir, testMongoUri, type TestMongo } from '../helpers/services';

jest.setTimeout(90_000);

let mongo: TestMongo;
beforeAll(async () => {
  mongo = await createTestMongo('journal');
});
afterAll(async () => {
  await mongo?.close();
});

it('every prediction answered before a SIGKILL is in the log once the next process has started', async () => {
  const spillDir = makeTestDir('journal-spill');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot(), 'test', 'fixtures', 'processes', 'journal-recorder.ts'), testMongoUri(), mongo.dbName, spillDir, '400'], {
    cwd: repoRoot(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  const deadline = Date.now() + 60_000;
  // Killed part-way through (after 200 answers), as a crash would find it.
  while ((out.match(/^answered /gm) ?? []).length < 200) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`recorder did not answer: ${out.slice(-500)} ${err.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  const answered = [...out.matchAll(/^answered (\S+)$/gm)].map((m) => m[1]);
  expect(answered.length).toBeGreaterThanOrEqual(200);
  expect(await mongo.db.collection('prediction_log').countDocuments()).toBe(0);

  const next = await PredictionRecorder.create({
    db: mongo.db,
    options: { batchSize: 500, flushMs: 50, bufferMax: 10_000, retryMs: 200, spillDir, metricsFlushMs: 1000, retentionDays: 7, bucketRetentionDays: 30, sweepMs: 3_600_000 },
    log: createLogger('journal-test', 'warn'),
  });
  try {
    await next.flush({ replay: true, timeoutMs: 30_000 });
    const logged = new Set((await next.predictions.readAll()).map((d) => d._id));
    expect(answered.filter((id) => !logged.has(id))).toEqual([]);
    expect(next.spill.countSegments()).toBe(0);
  } finally {
    await next.close();
  }
});
