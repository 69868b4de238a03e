/**
 * CPU per prediction of the api-side pieces of the prediction log and metrics, in-process
 * (no HTTP, no database). Standalone: `npx tsx bench/prediction-log-micro.ts`.
 *
 *   GatewayMetrics.observe   the Prometheus request counter + duration histogram (cached children)
 *   MetricAggregator.observe the metric buckets (counts, latency histogram)
 *   encodeSegment            grouping, JSON and raw deflate of a 200-entry segment, per entry
 *                            (CPU includes libuv's thread pool, where deflate runs)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { GatewayMetrics } from '../api/gateway/gateway-metrics';
import { createPredictionLogInstruments } from '../api/prediction-log/instruments';
import { MetricAggregator } from '../api/prediction-log/metric-aggregator';
import { encodeSegment, type PredictionDoc } from '../infra/mongo/prediction-segment-codec';
import { createLogger } from '../infra/telemetry/logger';

const N = 200_000;
const features = { transaction_amount: 115.04, merchant_category: 'grocery', user_age_days: 107, transaction_hour: 4, is_international: true };
const outputs = { label: 'fraud', confidence: 0.6197, probabilities: { fraud: 0.6197, legit: 0.3803 } };
const series = { modelId: 'm', modelName: 'fraud-detection', environment: 'Production', version: '1.0.0', versionId: 'v', role: 'primary' as const };

function perCall(name: string, n: number, f: (i: number) => void): void {
  for (let i = 0; i < 20_000; i++) f(i);
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) f(i);
  const used = process.cpuUsage(before);
  console.log(`${name.padEnd(26)} ${((used.user + used.system) / n).toFixed(2)} µs`);
}

async function main(): Promise<void> {
  const metrics = new GatewayMetrics(new Registry());
  perCall('GatewayMetrics.observe', N, (i) => metrics.observe('fraud-detection', '1.0.0', 'primary', 200, 0.001 + (i % 10) / 1000));
  const instruments = createPredictionLogInstruments(new Registry(), { queueDepth: () => 0, spillSegments: () => 0, pendingBucketDeltas: () => 0 });
  const noStore = { applyDeltas: () => Promise.resolve({}) } as unknown as ConstructorParameters<typeof MetricAggregator>[0];
  const aggregator = new MetricAggregator(noStore, { flushMs: 1e9, maxPendingDeltas: 1e7 }, createLogger('bench', 'silent'), instruments);
  perCall('MetricAggregator.observe', N, () => aggregator.observe(series, Date.now(), { status: 'Completed', latencyMs: 1.2, cached: false }, undefined));

  // Values that vary as real traffic does (ids, trace ids, amounts, latencies), so compression is not flattered.
  const p = () => Math.round(Math.random() * 1e4) / 1e4;
  const entry = (): PredictionDoc => {
    const fraud = p();
    return { _id: randomUUID(), requestId: '', time: new Date(), ...series, features: { ...features, transaction_amount: Math.round(Math.random() * 1e5) / 100, user_age_days: Math.floor(Math.random() * 3000) }, outputs: { ...outputs, confidence: Math.max(fraud, 1 - fraud), probabilities: { fraud, legit: 1 - fraud } }, latencyMs: 1 + p() * 3, status: 'Completed', cached: false, traceId: randomBytes(16).toString('hex'), serverId: 'ms-1' };
  };
  const segment = Array.from({ length: 200 }, entry);
  const rounds = 500;
  const before = process.cpuUsage();
  let bytes = 0;
  for (let r = 0; r < rounds; r++) bytes = (encodeSegment(segment)).data.length;
  const used = process.cpuUsage(before);
  console.log(`${'encodeSegment per entry'.padEnd(26)} ${((used.user + used.system) / rounds / segment.length).toFixed(2)} µs (${(bytes / segment.length).toFixed(0)} bytes stored per entry)`);
  await aggregator.close();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
