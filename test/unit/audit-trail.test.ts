import { AuditTrail } from '../../api/audit/audit-trail';
import type { AuditEntry } from '../../domain/audit/audit-chain';
import type { AuditRepository } from '../../infra/mongo/audit-repository';
import type { Logger } from '../../infra/telemetry/logger';

const entry: AuditEntry = { actor: { type: 'user', id: 'u1', name: 'alice', role: 'Admin' }, action: 'PUT /api/v1/routing/:modelName/:environment', target: null, status: 200, requestId: 'r1', traceId: 't1' };

function setup(failures: number, delayMs = 0) {
  const appended: AuditEntry[] = [];
  let calls = 0;
  const repository = {
    append: async (e: AuditEntry) => {
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      if (calls++ < failures) throw new Error('database unreachable');
      appended.push(e);
    },
  } as unknown as AuditRepository;
  const logged: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const log = {
    warn: (obj: Record<string, unknown>, msg: string) => logged.push({ level: 'warn', obj, msg }),
    error: (obj: Record<string, unknown>, msg: string) => logged.push({ level: 'error', obj, msg }),
  } as unknown as Logger;
  return { trail: new AuditTrail(repository, log, { retryDelaysMs: [1, 1, 1], firstAttemptMs: 50 }), appended, logged, calls: () => calls };
}

describe('AuditTrail', () => {
  it('appends once when the store answers', async () => {
    const s = setup(0);
    await s.trail.record(entry);
    expect(s.appended).toEqual([entry]);
    expect(s.logged).toEqual([]);
  });

  it('returns after a failed first attempt and retries in the background until it is stored', async () => {
    const s = setup(2);
    await s.trail.record(entry);
    expect(s.appended).toEqual([]);
    await s.trail.drain();
    expect(s.appended).toEqual([entry]);
    expect(s.logged.map((l) => l.level)).toEqual(['warn']);
  });

  it('does not hold the answer longer than the first attempt may take; the append goes on', async () => {
    const s = setup(0, 300);
    const start = Date.now();
    await s.trail.record(entry);
    expect(Date.now() - start).toBeLessThan(250);
    expect(s.appended).toEqual([]);
    await s.trail.drain();
    expect(s.appended).toEqual([entry]);
  });

  it('logs the whole record at error level when every retry failed', async () => {
    const s = setup(100);
    await s.trail.record(entry);
    await s.trail.drain();
    expect(s.calls()).toBe(4);
    expect(s.appended).toEqual([]);
    expect(s.logged.at(-1)).toMatchObject({ level: 'error', msg: 'audit record not stored', obj: { auditEntry: entry } });
  });
});
