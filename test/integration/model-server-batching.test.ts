import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { metricValue, startTestModelServer, type TestModelServer } from '../helpers/model-server-harness';

const rows = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'examples', 'reference-predictions.json'), 'utf8')).models['fraud-detection']['1.0.0'].rows as {
  instance: Record<string, unknown>;
  className: string;
}[]);
const PATH = '/v1/models/fraud-detection/versions/1.0.0/predict';
const labels = { model: 'fraud-detection', version: '1.0.0' };

async function batchStats(ms: TestModelServer, labels = { model: 'fraud-detection', version: '1.0.0' }) {
  const text = (await ms.call('GET', '/metrics')).body as string;
  return {
    text,
    runs: metricValue(text, 'hotswap_inference_batch_size_count', labels) ?? 0,
    rows: metricValue(text, 'hotswap_inference_batch_size_sum', labels) ?? 0,
    singleRowRuns: metricValue(text, 'hotswap_inference_batch_size_bucket', { ...labels, le: '1' }) ?? 0,

  };
}

describe('dynamic batching', () => {
  it('concurrent requests share model runs, and each gets its own answer', async () => {
    // 4.0.0-slow predicts exactly like 1.0.0 but each run takes ~1 ms, so requests pile up behind it
    const ms = await startTestModelServer();
    const slow = { model: 'fraud-detection', version: '4.0.0-slow' };
    try {
      expect((await ms.load('fraud-detection', '4.0.0-slow')).status).toBe(200);
      const n = 200;
      const round = () =>
        Promise.all(Array.from({ length: n }, (_, i) => ms.call('POST', '/v1/models/fraud-detection/versions/4.0.0-slow/predict', { auth: true, body: { features: rows[i % rows.length].instance } })));
      // the first round opens the keep-alive connections (as a gateway's pool would have)
      await round();
      const before = await batchStats(ms, slow);
      const results = await round();
      expect(results.map((r) => r.body.prediction.label)).toEqual(Array.from({ length: n }, (_, i) => rows[i % rows.length].className));
      const after = await batchStats(ms, slow);
      expect(after.rows - before.rows).toBe(n);
      // fewer model runs than requests: some runs carried several rows
      expect(after.runs - before.runs).toBeLessThan(n);
      expect(after.runs - after.singleRowRuns).toBeGreaterThan(0);
    } finally {
      await ms.close();
    }
  });

  it('under sustained load (autocannon, 16 connections) runs carry many rows, never more than maxBatchSize', async () => {
    const ms = await startTestModelServer();
    try {
      expect((await ms.load('fraud-detection', '1.0.0', { options: { maxBatchSize: 8 } })).status).toBe(200);
      const result = await autocannon({
        url: `${ms.url}${PATH}`,
        method: 'POST',
        connections: 16,
        duration: 2,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ms.token}` },
        body: JSON.stringify({ features: rows[0].instance }),
      });
      expect(result.non2xx).toBe(0);
      expect(result.errors).toBe(0);
      const stats = await batchStats(ms);
      expect(stats.rows / stats.runs).toBeGreaterThan(1.5);
      expect(metricValue(stats.text, 'hotswap_inference_batch_size_bucket', { ...labels, le: '8' })).toBe(stats.runs);
    } finally {
      await ms.close();
    }
  });

  it('a queue delay gathers requests that arrive apart into one run', async () => {
    const ms = await startTestModelServer();
    try {
      expect((await ms.load('fraud-detection', '1.0.0', { options: { maxQueueDelayMicros: 200_000 } })).status).toBe(200);
      const before = await batchStats(ms);
      const pending = [];
      for (let i = 0; i < 4; i++) {
        pending.push(ms.call('POST', PATH, { auth: true, body: { features: rows[i].instance } }));
        await new Promise((r) => setTimeout(r, 10));
      }
      const results = await Promise.all(pending);
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      const after = await batchStats(ms);
      expect(after.rows - before.rows).toBe(4);
      expect(after.runs - before.runs).toBe(1);
      expect(results[0].body.latencyMs).toBeGreaterThan(100);
    } finally {
      await ms.close();
    }
  });
});
