import { createHash } from 'node:crypto';
import { CHAIN_START, GENESIS_HASH, chainRecord, hashRecord, verifyChain, type AuditEntry, type AuditRecord } from '../../domain/audit/audit-chain';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const entry = (i: number): AuditEntry => ({
  actor: { type: 'user', id: `u${i}`, name: 'alice', role: 'Admin' },
  action: 'PUT /api/v1/routing/:modelName/:environment',
  target: { type: 'routing', id: `m:${i}` },
  status: 200,
  before: { pools: [{ version: '1.0.0', weight: 100 }] },
  after: { pools: [{ version: '2.0.0', weight: 100 }] },
  requestId: `r${i}`,
  traceId: `t${i}`,
});

function chain(n: number): AuditRecord[] {
  const out: AuditRecord[] = [];
  for (let i = 0; i < n; i++) out.push(chainRecord(entry(i), out[i - 1] ?? null, new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), sha256));
  return out;
}

describe('chainRecord', () => {
  it('starts at seq 1 from the genesis hash and links each record to the one before', () => {
    const [a, b] = chain(2);
    expect(a).toMatchObject({ seq: 1, prevHash: GENESIS_HASH });
    expect(b).toMatchObject({ seq: 2, prevHash: a.hash });
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.hash).not.toBe(b.hash);
  });

  it('hashes the content whatever its key order, and not undefined members', () => {
    const [a] = chain(1);
    const reordered = Object.fromEntries(Object.entries(a).reverse()) as unknown as AuditRecord;
    expect(hashRecord(reordered, sha256)).toBe(a.hash);
    expect(hashRecord({ ...a, details: undefined }, sha256)).toBe(a.hash);
    expect(hashRecord({ ...a, status: 201 }, sha256)).not.toBe(a.hash);
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain, also checked in pages', () => {
    const records = chain(5);
    expect(verifyChain(records, CHAIN_START, sha256)).toEqual({ cursor: { nextSeq: 6, prevHash: records[4].hash }, problem: null });
    const first = verifyChain(records.slice(0, 2), CHAIN_START, sha256);
    expect(verifyChain(records.slice(2), first.cursor, sha256).problem).toBeNull();
  });

  it('accepts an empty chain', () => {
    expect(verifyChain([], CHAIN_START, sha256)).toEqual({ cursor: CHAIN_START, problem: null });
  });

  it('reports a removed record as the missing seq', () => {
    const records = chain(5);
    records.splice(2, 1);
    expect(verifyChain(records, CHAIN_START, sha256).problem).toMatchObject({ seq: 3, kind: 'missing' });
  });

  it('reports a removed first record', () => {
    expect(verifyChain(chain(3).slice(1), CHAIN_START, sha256).problem).toMatchObject({ seq: 1, kind: 'missing' });
  });

  it('reports an edited record as a hash mismatch at its seq', () => {
    const records = chain(4);
    records[1] = { ...records[1], actor: { ...records[1].actor, name: 'mallory' } };
    expect(verifyChain(records, CHAIN_START, sha256).problem).toMatchObject({ seq: 2, kind: 'hash-mismatch' });
  });

  it('reports an edited record whose hash was recomputed at the next record', () => {
    const records = chain(4);
    const edited = { ...records[1], status: 500 };
    records[1] = { ...edited, hash: hashRecord(edited, sha256) };
    expect(verifyChain(records, CHAIN_START, sha256).problem).toMatchObject({ seq: 3, kind: 'prev-hash-mismatch' });
  });

  it('reports a removal hidden by renumbering as a prevHash mismatch', () => {
    const records = chain(4);
    const renumbered = [records[0], ...records.slice(2).map((r) => ({ ...r, seq: r.seq - 1 }))];
    expect(verifyChain(renumbered, CHAIN_START, sha256).problem).toMatchObject({ seq: 2, kind: 'prev-hash-mismatch' });
  });
});
