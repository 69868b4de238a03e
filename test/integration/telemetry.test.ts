import { spawn } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { once } from 'node:events';

/**
 * OpenTelemetry as every process starts it: W3C trace context is honoured, requests get trace
 * ids, and spans reach the OTLP endpoint when one is configured. Runs in a child process so
 * the instrumentation patches nothing in the test runner.
 */
it('propagates W3C trace context and exports spans over OTLP/HTTP', async () => {
  const received: string[] = [];
  const collector = http.createServer((req, res) => {
    received.push(req.url ?? '');
    req.resume();
    req.on('end', () => res.end('{}'));
  });
  collector.listen(0, '127.0.0.1');
  await once(collector, 'listening');
  const endpoint = `http://127.0.0.1:${(collector.address() as { port: number }).port}`;

  const child = spawn(process.execPath, [join(__dirname, '..', '..', 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(__dirname, '..', 'fixtures', 'telemetry', 'traced-server.ts')], {
    env: { ...process.env, OTLP_ENDPOINT: endpoint },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
    const url = `http://127.0.0.1:${chunk.toString().trim()}/`;

    const traced = (await (await fetch(url, { headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } })).json()) as { traceId: string; patched: boolean };
    expect(traced).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', patched: true });
    const fresh = (await (await fetch(url)).json()) as { traceId: string };
    expect(fresh.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(fresh.traceId).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736');

    child.kill('SIGTERM');
    await once(child, 'exit');
    expect(received).toContain('/v1/traces');
  } finally {
    child.kill('SIGKILL');
    collector.closeAllConnections();
    collector.close();
  }
});

/**
 * `instrumentHttp: false` (the model server without an exporter): node:http is not patched,
 * so requests pay for no automatic span; spans still get real trace ids.
 */
it('leaves node:http alone when HTTP instrumentation is off', async () => {
  // `node --import tsx` (not tsx's CLI, which runs the script in a grandchild that a kill misses).
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'fixtures', 'telemetry', 'traced-server.ts')], {
    env: { ...process.env, INSTRUMENT_HTTP: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
    const url = `http://127.0.0.1:${chunk.toString().trim()}/`;
    const answer = (await (await fetch(url, { headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } })).json()) as { traceId: string; patched: boolean };
    // No server span was started from the caller's traceparent: the manual span is a new root.
    expect(answer.patched).toBe(false);
    expect(answer.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(answer.traceId).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  } finally {
    const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
});
