import { AppError } from '../../domain/errors';
import { Coalescer } from '../../api/gateway/coalescer';
import type { GatewayMetrics } from '../../api/gateway/gateway-metrics';
import type { ServerDirectory } from '../../api/gateway/server-directory';
import { makeTarget } from '../../api/gateway/target';
import type { UpstreamResponse } from '../../api/gateway/upstream';
import type { VersionClient } from '../../api/gateway/version-client';

const target = makeTarget({ modelId: 'm', modelName: 'fraud', environment: 'Production', versionId: 'v1', version: '1.0.0', role: 'primary' });

/** A fake model-server client: records batch calls and answers them when told. */
function harness(servers = 1, opts = { inFlightPerServer: 2, maxRows: 3 }) {
  const calls: { path: string; body: any; settle: (r: Partial<UpstreamResponse> | Error) => void }[] = [];
  const client = {
    call: (_t: unknown, _m: string, path: string, _h: unknown, body: Buffer) =>
      new Promise<UpstreamResponse>((resolve, reject) => {
        calls.push({
          path,
          body: JSON.parse(body.toString()),
          settle: (r) => (r instanceof Error ? reject(r) : resolve({ status: 200, body: Buffer.alloc(0), upstream: { id: 's1' } as never, ...r })),
        });
      }),
  } as unknown as VersionClient;
  const sizes: number[] = [];
  const c = new Coalescer(
    { client, directory: { count: () => servers } as unknown as ServerDirectory, metrics: { coalesced: (n: number) => sizes.push(n) } as unknown as GatewayMetrics },
    opts,
  );
  return { c, calls, sizes };
}
const answer = (rows: number[]) => ({ status: 200, body: Buffer.from(JSON.stringify({ predictions: rows.map((r) => ({ row: r })), confidences: rows.map((r) => r / 10) })) });
const tick = () => new Promise((r) => setImmediate(r));

describe('Coalescer', () => {
  it('lets requests through alone up to the in-flight limit per server, then queues them', () => {
    const { c } = harness(2);
    for (let i = 0; i < 4; i++) expect(c.admit(target)).toBe(true);
    expect(c.admit(target)).toBe(false);
    c.done(target);
    expect(c.admit(target)).toBe(true);
  });

  it('never queues with maxRows 1 (coalescing off)', () => {
    const { c } = harness(1, { inFlightPerServer: 1, maxRows: 1 });
    for (let i = 0; i < 10; i++) expect(c.admit(target)).toBe(true);
  });

  it('sends queued requests together as one batch when a call completes, answering each row in order', async () => {
    const { c, calls, sizes } = harness(1, { inFlightPerServer: 1, maxRows: 3 });
    expect(c.admit(target)).toBe(true);
    const waits = [1, 2, 3, 4].map((i) => c.wait(target, { f: i }));
    await tick();
    expect(calls).toHaveLength(0); // the lane is busy with the admitted request
    c.done(target);
    await tick();
    expect(calls).toHaveLength(1);
    expect(calls[0].path).toBe('/v1/models/fraud/versions/1.0.0/predict/batch');
    expect(calls[0].body).toEqual({ instances: [{ f: 1 }, { f: 2 }, { f: 3 }] });
    calls[0].settle(answer([1, 2, 3]));
    expect(await waits[0]).toEqual({ kind: 'answer', prediction: { row: 1 }, confidence: 0.1, serverId: 's1' });
    expect(await waits[2]).toMatchObject({ kind: 'answer', prediction: { row: 3 } });
    await tick();
    expect(calls).toHaveLength(2); // the fourth went in the next call
    expect(calls[1].body).toEqual({ instances: [{ f: 4 }] });
    calls[1].settle(answer([4]));
    expect(await waits[3]).toMatchObject({ kind: 'answer', prediction: { row: 4 } });
    expect(sizes).toEqual([3, 1]);
  });

  it('a batch failing as a whole (e.g. one bad row → 400) sends every request alone', async () => {
    const { c, calls } = harness(1, { inFlightPerServer: 1, maxRows: 8 });
    c.admit(target);
    const waits = [1, 2].map((i) => c.wait(target, { f: i }));
    c.done(target);
    await tick();
    calls[0].settle({ status: 400, body: Buffer.from('{"error":{"code":"SCHEMA_VALIDATION_ERROR"}}') });
    expect(await Promise.all(waits)).toEqual([{ kind: 'alone' }, { kind: 'alone' }]);
  });

  it('a short answer (fewer rows than sent) also falls back to alone', async () => {
    const { c, calls } = harness(1, { inFlightPerServer: 1, maxRows: 8 });
    c.admit(target);
    const waits = [1, 2].map((i) => c.wait(target, { f: i }));
    c.done(target);
    await tick();
    calls[0].settle(answer([1]));
    expect(await Promise.all(waits)).toEqual([{ kind: 'alone' }, { kind: 'alone' }]);
  });

  it('no server for the batch: every request gets the same 503', async () => {
    const { c, calls } = harness(1, { inFlightPerServer: 1, maxRows: 8 });
    c.admit(target);
    const w = c.wait(target, { f: 1 });
    c.done(target);
    await tick();
    const unavailable = new AppError('SERVICE_UNAVAILABLE', 'nobody');
    calls[0].settle(unavailable);
    expect(await w).toEqual({ kind: 'error', error: unavailable });
  });
});
