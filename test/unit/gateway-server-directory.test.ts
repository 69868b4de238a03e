import { createLogger } from '../../infra/telemetry/logger';
import type { ServerRecord } from '../../infra/mongo/server-registry';
import { EJECT_MS, ServerDirectory } from '../../api/gateway/server-directory';

const log = createLogger('test', 'silent');
const TOKEN = 'service-token-0123456789';
const server = (id: string, versions: [string, string][], health: ServerRecord['health'] = 'healthy'): ServerRecord => ({
  _id: id,
  schemaVersion: 1,
  url: `http://127.0.0.1:${1000 + Number(id.replace(/\D/g, '') || 0)}`,
  loaded: versions.map(([versionId, state]) => ({ modelName: 'm', version: versionId, versionId, state })),
  health,
  startedAt: new Date(0),
  heartbeatAt: new Date(),
});

async function directory(servers: ServerRecord[], now = () => 0) {
  let current = servers;
  const d = new ServerDirectory({ liveServers: async () => current, serviceToken: TOKEN, log, now });
  await d.refresh();
  return { d, set: (s: ServerRecord[]) => (current = s) };
}

describe('ServerDirectory', () => {
  it('routes only to Ready versions on servers that are not draining', async () => {
    const { d } = await directory([server('s1', [['v1', 'Ready'], ['v2', 'Loading']]), server('s2', [['v1', 'Ready']], 'draining'), server('s3', [['v1', 'Draining']])]);
    expect(d.serversOf('v1')).toEqual(['s1']);
    expect(d.has('v2')).toBe(false);
    expect(d.pick('v2')).toBeUndefined();
    d.close();
  });

  it('picks the server with the fewest outstanding requests, rotating ties', async () => {
    const { d } = await directory([server('s1', [['v1', 'Ready']]), server('s2', [['v1', 'Ready']]), server('s3', [['v1', 'Ready']])]);
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) seen.add(d.pick('v1')!.id);
    expect(seen.size).toBe(3); // all idle: ties rotate over every server
    const [a, b] = ['s1', 's2'].map((id) => {
      let up = d.pick('v1')!;
      while (up.id !== id) up = d.pick('v1')!;
      return up;
    });
    a.outstanding = 5;
    b.outstanding = 1;
    for (let i = 0; i < 5; i++) expect(d.pick('v1')!.id).toBe('s3');
    d.close();
  });

  it('avoids the excluded server and ejected servers while another exists', async () => {
    let now = 0;
    const { d } = await directory([server('s1', [['v1', 'Ready']]), server('s2', [['v1', 'Ready']])], () => now);
    const first = d.pick('v1')!;
    for (let i = 0; i < 4; i++) expect(d.pick('v1', first)!.id).not.toBe(first.id);
    d.eject(first);
    for (let i = 0; i < 4; i++) expect(d.pick('v1')!.id).not.toBe(first.id);
    now += EJECT_MS + 1;
    const ids = new Set([d.pick('v1')!.id, d.pick('v1')!.id]);
    expect(ids.size).toBe(2);
    d.close();
  });

  it('falls back to an excluded or ejected server when it is the only one', async () => {
    const { d } = await directory([server('s1', [['v1', 'Ready']])]);
    const only = d.pick('v1')!;
    d.eject(only);
    expect(d.pick('v1', only)).toBe(only);
    d.close();
  });

  it('keeps the connection pool of a server across refreshes and retires a vanished one', async () => {
    const { d, set } = await directory([server('s1', [['v1', 'Ready']]), server('s2', [['v1', 'Ready']])]);
    const ups = [d.pick('v1')!, d.pick('v1')!];
    await d.refresh();
    expect(new Set([d.pick('v1'), d.pick('v1')])).toEqual(new Set(ups));
    set([server('s1', [['v1', 'Ready']])]);
    await d.refresh();
    expect(d.serversOf('v1')).toEqual(['s1']);
    expect(ups.find((u) => u.id === 's2')!.retired).toBe(true);
    d.close();
  });

  it('keeps the last known servers when heartbeats cannot be read', async () => {
    let fail = false;
    const d = new ServerDirectory({
      liveServers: async () => {
        if (fail) throw new Error('mongo down');
        return [server('s1', [['v1', 'Ready']])];
      },
      serviceToken: TOKEN,
      log,
    });
    await d.refresh();
    fail = true;
    await d.refresh();
    expect(d.serversOf('v1')).toEqual(['s1']);
    d.close();
  });

  it('routes a version to stale servers only when no fresh server holds it (panic mode)', async () => {
    const now = 100_000;
    const beat = (r: ServerRecord, ageMs: number): ServerRecord => ({ ...r, heartbeatAt: new Date(now - ageMs) });
    let current = [beat(server('s1', [['v1', 'Ready'], ['v2', 'Ready']]), 500), beat(server('s2', [['v1', 'Ready'], ['v2', 'Ready']]), 20_000)];
    const warnings: string[] = [];
    const warnLog = { ...log, warn: (_o: unknown, msg: string) => void warnings.push(msg) } as unknown as typeof log;
    const d = new ServerDirectory({ liveServers: async () => current, freshWithinMs: 5_000, serviceToken: TOKEN, log: warnLog, now: () => now });
    await d.refresh();
    // one fresh server holds both versions: the stale one gets nothing
    expect(d.serversOf('v1')).toEqual(['s1']);
    expect(d.isPanicking('v1')).toBe(false);
    // every server looks stale: keep routing to them rather than refusing the version
    current = current.map((r) => beat(r, 30_000));
    await d.refresh();
    expect(d.serversOf('v1').sort()).toEqual(['s1', 's2']);
    expect(d.isPanicking('v1')).toBe(true);
    expect(warnings).toHaveLength(2); // once per version, not on every refresh
    await d.refresh();
    expect(warnings).toHaveLength(2);
    // a fresh heartbeat again: back to fresh servers only
    current = [beat(server('s1', [['v1', 'Ready']]), 100), beat(server('s2', [['v1', 'Ready'], ['v2', 'Ready']]), 30_000)];
    await d.refresh();
    expect(d.serversOf('v1')).toEqual(['s1']);
    expect(d.isPanicking('v1')).toBe(false);
    expect(d.serversOf('v2')).toEqual(['s2']);
    expect(d.isPanicking('v2')).toBe(true);
    d.close();
  });
});
