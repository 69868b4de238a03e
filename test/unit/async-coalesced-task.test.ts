import { CoalescedTask } from '../../infra/async/coalesced-task';
import { TimeoutError, withTimeout } from '../../infra/async/with-timeout';

/** A task whose runs each wait until the test releases them. */
function gatedTask() {
  const releases: (() => void)[] = [];
  let runs = 0;
  let concurrent = 0;
  let maxConcurrent = 0;
  const task = new CoalescedTask(async () => {
    runs++;
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    await new Promise<void>((r) => releases.push(r));
    concurrent--;
  });
  const releaseNext = async () => {
    await new Promise((r) => setImmediate(r)); // a run starts on a later microtask
    releases.shift()?.();
    // Let the settled run's continuations (and the follow-up's start) happen.
    await new Promise((r) => setImmediate(r));
  };
  return { task, releaseNext, stats: () => ({ runs, maxConcurrent, waiting: releases.length }) };
}

describe('CoalescedTask', () => {
  it('runs at once when idle', async () => {
    const { task, releaseNext, stats } = gatedTask();
    const p = task.run();
    await new Promise((r) => setImmediate(r));
    expect(stats()).toMatchObject({ runs: 1, waiting: 1 });
    await releaseNext();
    await expect(p).resolves.toBeUndefined();
  });

  it('gives every call made during a run one shared follow-up run, never a queue', async () => {
    const { task, releaseNext, stats } = gatedTask();
    const first = task.run();
    const during = Array.from({ length: 50 }, () => task.run());
    // All 50 calls share one promise: the follow-up.
    expect(new Set(during).size).toBe(1);
    expect(during[0]).not.toBe(first);
    await releaseNext(); // the first run ends; the follow-up starts
    await first;
    expect(stats()).toMatchObject({ runs: 2, waiting: 1 });
    await releaseNext();
    await Promise.all(during);
    expect(stats()).toMatchObject({ runs: 2, maxConcurrent: 1 });
  });

  it('starts the follow-up even when the run before it failed, and passes each failure to its callers', async () => {
    let n = 0;
    const task = new CoalescedTask(async () => {
      n++;
      await Promise.resolve();
      if (n === 1) throw new Error('first failed');
    });
    const first = task.run();
    const second = task.run();
    await expect(first).rejects.toThrow('first failed');
    await expect(second).resolves.toBeUndefined();
    expect(n).toBe(2);
  });

  it('idle() waits for the run and its follow-up, and never rejects', async () => {
    const { task, releaseNext, stats } = gatedTask();
    void task.run();
    void task.run();
    let idle = false;
    const done = task.idle().then(() => (idle = true));
    await releaseNext();
    expect(idle).toBe(false);
    await releaseNext();
    await done;
    expect(stats().runs).toBe(2);
    const failing = new CoalescedTask(() => Promise.reject(new Error('x')));
    failing.run().catch(() => undefined);
    await expect(failing.idle()).resolves.toBeUndefined();
  });
});

describe('withTimeout', () => {
  it('passes a value or an error through when the promise settles in time', async () => {
    await expect(withTimeout(Promise.resolve(7), 1000)).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error('no')), 1000)).rejects.toThrow('no');
    // A non-Error rejection (as some libraries give) comes out as an Error with its text.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    await expect(withTimeout(Promise.reject('text'), 1000)).rejects.toThrow('text');
  });

  it('rejects with a TimeoutError when the promise takes longer', async () => {
    const never = new Promise<void>(() => undefined);
    const e = await withTimeout(never, 20).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(TimeoutError);
    expect((e as TimeoutError).message).toBe('timed out after 20 ms');
  });
});
