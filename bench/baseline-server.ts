/**
 * B1, the physical reference of the benchmark: a bare node:http server with one
 * onnxruntime-node session (the model server's session options) and hand-written minimal
 * preprocessing of the same features. No validation beyond what keeps it from crashing, no
 * metrics, no batching, no logging: what "one ORT session behind HTTP" costs on this machine.
 *
 *   POST /predict {features}  → {prediction: {label, probabilities}, confidence, latencyMs}
 *   GET  /health              → 200
 *
 * Env: BENCH_PORT (default 0), BENCH_HOST (127.0.0.1).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as ort from 'onnxruntime-node';
import { CLASSES, encodeInto, modelPath, SESSION_OPTIONS, WIDTH, type FraudFeatures } from './fixture';

async function main(): Promise<void> {
  const session = await ort.InferenceSession.create(modelPath(), SESSION_OPTIONS as unknown as ort.InferenceSession.SessionOptions);
  const inputName = session.inputNames[0];

  const fail = (res: http.ServerResponse, status: number, message: string) => {
    const body = JSON.stringify({ error: message });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const predict = async (raw: Buffer, res: http.ServerResponse) => {
    const t0 = performance.now();
    let features: FraudFeatures | undefined;
    try {
      features = (JSON.parse(raw.toString('utf8')) as { features?: FraudFeatures }).features;
    } catch {
      return fail(res, 400, 'malformed JSON');
    }
    const data = new Float32Array(WIDTH);
    if (!features || !encodeInto(features, data, 0)) return fail(res, 400, 'bad features');
    const out = await session.run({ [inputName]: new ort.Tensor('float32', data, [1, WIDTH]) });
    const label = Number((out.label.data as BigInt64Array)[0]);
    const probs = out.probabilities.data as Float32Array;
    const probabilities = [probs[0], probs[1]];
    const body = JSON.stringify({ prediction: { label: CLASSES[label], probabilities }, confidence: probs[label], latencyMs: Math.round((performance.now() - t0) * 1000) / 1000 });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const server = http.createServer({ keepAlive: true, noDelay: true }, (req, res) => {
    if (req.method === 'POST' && req.url === '/predict') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        predict(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), res).catch((e: unknown) => fail(res, 500, (e as Error).message));
      });
    } else if (req.url === '/health') {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    } else {
      req.resume();
      fail(res, 404, 'not found');
    }
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(Number(process.env.BENCH_PORT ?? 0), process.env.BENCH_HOST ?? '127.0.0.1', resolve));
  process.stdout.write(`baseline listening on ${(server.address() as AddressInfo).port}\n`);
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`baseline server failed: ${(e as Error).stack}\n`);
  process.exit(1);
});
