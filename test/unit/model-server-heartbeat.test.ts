import { Heartbeat, type HeartbeatRecord } from '../../model-server/heartbeat';
import type { ServerRegistry } from '../../infra/mongo/server-registry';
import { createLogger } from '../../infra/telemetry/logger';

/** A registry whose every write takes `ms` (a slow or unreachable database). */
function slowRegistry(ms: number, fail = false) {
  const log: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const write = async (what: string) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    log.push(what);
    await new Promise((r) => setTimeout(r, ms));
    inFlight--;
    if (fail) throw new Error('server selection timed out');
  };
  const registry = {
    heartbeat: (r: HeartbeatRecord) => write(`beat ${r.health}`),
    remove: (id: string) => write(`remove ${id}`),
  } as unknown as ServerRegistry;
  return { registry, log, maxInFlight: () => maxInFlight };
}

describe('model-server Heartbeat against a slow database', () => {
  it.each([false, true])('never lets ticks pile up, and stops after at most the beat in progress and one more (writes failing: %s)', async (fail) => {
    const { registry, log, maxInFlight } = slowRegistry(100, fail);
    let health = 'healthy';
    const hb = new Heartbeat(registry, () => ({ health }) as unknown as HeartbeatRecord, 5, createLogger('test', 'silent'));
    hb.start();
    // 20 ticks per beat: the old chained beats would have queued every one of them.
    await new Promise((r) => setTimeout(r, 450));
    const beatsSoFar = log.length;
    expect(beatsSoFar).toBeLessThanOrEqual(6);
    expect(maxInFlight()).toBe(1);

    health = 'draining';
    await hb.beat();
    await hb.stop(true, 'server-1');
    const afterDrain = log.slice(beatsSoFar);
    // The beat in progress, then one beat with the latest state, then the removal: nothing else.
    expect(afterDrain.at(-2)).toBe('beat draining');
    expect(afterDrain.at(-1)).toBe('remove server-1');
    expect(afterDrain.length).toBeLessThanOrEqual(3);
    await new Promise((r) => setTimeout(r, 50));
    expect(log.at(-1)).toBe('remove server-1');
    expect(maxInFlight()).toBe(1);
  });
});
