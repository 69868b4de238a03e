import { spawn } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { once } from 'node:events';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
}

/**
 * The inference gateway's paths skip OpenTelemetry's automatic HTTP span (ignore hook) and get
 * one span of their own instead: the caller's traceparent is its parent, its ids go to the model
 * server and the prediction log, and it is exported; other paths keep the automatic span. Runs
 * in a child process so the instrumentation patches nothing in the test runner.
 */
it('gives gateway paths one manual span parented by the caller, and other paths the automatic one', async () => {
  const spans: OtlpSpan[] = [];
  const collector = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
      for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      res.end('{}');
    });
  });
  collector.listen(0, '127.0.0.1');
  await once(collector, 'listening');
  const endpoint = `http://127.0.0.1:${(collector.address() as { port: number }).port}`;

  const child = spawn(process.execPath, [join(__dirname, '..', '..', 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(__dirname, '..', 'fixtures', 'telemetry', 'lean-traced-server.ts')], {
    env: { ...process.env, OTLP_ENDPOINT: endpoint },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
    const base = `http://127.0.0.1:${chunk.toString().trim()}`;
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';

    const lean = (await (await fetch(`${base}/api/v1/inference/fraud-detection`, { method: 'POST', body: '{}', headers: { traceparent: `00-${callerTrace}-${callerSpan}-01` } })).json()) as { traceId: string; traceparent: string; active: string | null };
    expect(lean.traceId).toBe(callerTrace);
    expect(lean.active).toBeNull();
    const [, downTrace, downSpan, flags] = lean.traceparent.split('-');
    expect(downTrace).toBe(callerTrace);
    expect(downSpan).toMatch(/^[0-9a-f]{16}$/);
    expect(downSpan).not.toBe(callerSpan);
    expect(flags).toBe('01');

    const fresh = (await (await fetch(`${base}/api/v1/inference/fraud-detection`, { method: 'POST', body: '{}' })).json()) as { traceId: string };
    expect(fresh.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(fresh.traceId).not.toBe(callerTrace);

    const other = (await (await fetch(`${base}/api/v1/models`)).json()) as { traceId: string | null };
    expect(other.traceId).toMatch(/^[0-9a-f]{32}$/);

    child.kill('SIGTERM');
    await once(child, 'exit');
    // The caller's trace holds exactly one span of this process: the gateway's, child of the caller's span.
    const ofCaller = spans.filter((s) => s.traceId === callerTrace);
    expect(ofCaller).toEqual([expect.objectContaining({ name: 'POST /api/v1/inference/{model}', spanId: downSpan, parentSpanId: callerSpan, kind: 2 })]);
    expect(spans.filter((s) => s.traceId === fresh.traceId).map((s) => s.name)).toEqual(['POST /api/v1/inference/{model}']);
    // The other path keeps the automatic HTTP server span.
    expect(spans.filter((s) => s.traceId === other.traceId).map((s) => s.name)).toEqual(['GET']);
  } finally {
    child.kill('SIGKILL');
    collector.closeAllConnections();
    collector.close();
  }
});
