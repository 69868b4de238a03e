import { Batcher, type BatchRunner } from '../../model-server/batcher';

/** A fake model: echoes each item's rows × 10, records every batch it ran, and can be held open. */
function fakeRunner() {
  const batches: number[][] = [];
  let gate: Promise<void> | null = null;
  let open: (() => void) | null = null;
  const run: BatchRunner<number, number> = async (items) => {
    batches.push([...items]);
    if (gate) await gate;
    return items.map((i) => i * 10);
  };
  return {
    run,
    batches,
    hold() {
      gate = new Promise((r) => (open = r));
    },
    release() {
      gate = null;
      open?.();
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('Batcher', () => {
  it('runs a lone request on the next turn of the event loop with no added delay', async () => {
    const f = fakeRunner();
    const b = new Batcher(f.run, () => 1, { maxBatchSize: 8, maxQueueDelayMicros: 0 });
    await expect(b.submit(3)).resolves.toBe(30);
    expect(f.batches).toEqual([[3]]);
  });

  it('batches requests submitted in the same turn', async () => {
    const f = fakeRunner();
    const b = new Batcher(f.run, () => 1, { maxBatchSize: 8, maxQueueDelayMicros: 0 });
    const results = await Promise.all([1, 2, 3].map((i) => b.submit(i)));
    expect(results).toEqual([10, 20, 30]);
    expect(f.batches).toEqual([[1, 2, 3]]);
  });

  it('requests arriving while a run executes form the next batch, in order', async () => {
    const f = fakeRunner();
    const b = new Batcher(f.run, () => 1, { maxBatchSize: 8, maxQueueDelayMicros: 0 });
    f.hold();
    const first = b.submit(1);
    await tick();
    expect(b.busy).toBe(true);
    const later = [2, 3, 4].map((i) => b.submit(i));
    expect(b.queued).toBe(3);
    f.release();
    await expect(Promise.all([first, ...later])).resolves.toEqual([10, 20, 30, 40]);
    expect(f.batches).toEqual([[1], [2, 3, 4]]);
  });

  it('never exceeds maxBatchSize rows, and a full queue runs without waiting', async () => {
    const f = fakeRunner();
    const b = new Batcher(f.run, () => 1, { maxBatchSize: 2, maxQueueDelayMicros: 1_000_000 });
    const t0 = performance.now();
    await Promise.all([1, 2, 3, 4, 5].map((i) => b.submit(i)));
    expect(f.batches).toEqual([[1, 2], [3, 4], [5]]);
    // the last lone row waits for company up to the delay (1 s), the full ones do not
    expect(performance.now() - t0).toBeGreaterThan(900);
  });

  it('counts rows, not requests, and runs an oversized request alone', async () => {
    const f = fakeRunner();
    const b = new Batcher(f.run, (i: number) => i, { maxBatchSize: 5, maxQueueDelayMicros: 0 });
    await Promise.all([2, 2, 9, 1, 3].map((i) => b.submit(i)));
    expect(f.batches).toEqual([[2, 2], [9], [1, 3]]);
  });

  it('with a queue delay, the first request waits for company', async () => {
    const f = fakeRunner();
    const b = new Batcher(f.run, () => 1, { maxBatchSize: 8, maxQueueDelayMicros: 20_000 });
    const a = b.submit(1);
    await new Promise((r) => setTimeout(r, 5));
    const c = b.submit(2);
    await Promise.all([a, c]);
    expect(f.batches).toEqual([[1, 2]]);
  });

  it('reports batch sizes and queue times to the observer', async () => {
    const f = fakeRunner();
    const seen: [number, number][] = [];
    let clock = 100;
    const b = new Batcher(f.run, () => 1, { maxBatchSize: 8, maxQueueDelayMicros: 0 }, { onBatch: (rows, q) => seen.push([rows, q.length]) }, () => clock);
    const p = [b.submit(1), b.submit(2)];
    clock = 100.5;
    await Promise.all(p);
    expect(seen).toEqual([[2, 2]]);
    const queueTimes: number[] = [];
    const b2 = new Batcher(f.run, () => 1, { maxBatchSize: 8, maxQueueDelayMicros: 0 }, { onBatch: (_r, q) => queueTimes.push(...q) }, () => clock);
    const p2 = b2.submit(1);
    clock = 101;
    await p2;
    expect(queueTimes).toEqual([0.5]);
  });

  it('a failing run rejects every request of that batch and the next batch still runs', async () => {
    let calls = 0;
    const b = new Batcher<number, number>(
      async (items) => {
        if (calls++ === 0) throw new Error('boom');
        return items.map((i) => i);
      },
      () => 1,
      { maxBatchSize: 8, maxQueueDelayMicros: 0 },
    );
    const failed = [b.submit(1), b.submit(2)].map((p) => p.catch((e: Error) => e.message));
    await expect(Promise.all(failed)).resolves.toEqual(['boom', 'boom']);
    await expect(b.submit(3)).resolves.toBe(3);
  });

  it('a runner that throws synchronously does not wedge the batcher', async () => {
    let calls = 0;
    const b = new Batcher<number, number>(
      (items) => {
        if (calls++ === 0) throw new Error('sync');
        return Promise.resolve(items.map((i) => i));
      },
      () => 1,
      { maxBatchSize: 8, maxQueueDelayMicros: 0 },
    );
    await expect(b.submit(1)).rejects.toThrow('sync');
    await expect(b.submit(2)).resolves.toBe(2);
  });

  it('a runner returning the wrong number of results fails the batch', async () => {
    const b = new Batcher<number, number>(async () => [1], () => 1, { maxBatchSize: 8, maxQueueDelayMicros: 0 });
    const r = await Promise.allSettled([b.submit(1), b.submit(2)]);
    expect(r.map((x) => x.status)).toEqual(['rejected', 'rejected']);
  });

  it('close() fails queued requests, waits for the run in progress and refuses new ones', async () => {
    const f = fakeRunner();
    const b = new Batcher(f.run, () => 1, { maxBatchSize: 8, maxQueueDelayMicros: 0 });
    f.hold();
    const running = b.submit(1);
    await tick();
    const queued = b.submit(2).catch((e: Error) => e.message);
    let closed = false;
    const closing = b.close(new Error('draining')).then(() => (closed = true));
    await tick();
    expect(closed).toBe(false);
    f.release();
    await closing;
    await expect(running).resolves.toBe(10);
    await expect(queued).resolves.toBe('draining');
    await expect(b.submit(3)).rejects.toThrow('draining');
    expect(f.batches).toEqual([[1]]);
  });

  it('rejects impossible options', () => {
    const f = fakeRunner();
    expect(() => new Batcher(f.run, () => 1, { maxBatchSize: 0, maxQueueDelayMicros: 0 })).toThrow(RangeError);
    expect(() => new Batcher(f.run, () => 1, { maxBatchSize: 1, maxQueueDelayMicros: -1 })).toThrow(RangeError);
  });
});
