import { addressedSegmentId, addressOf, mintRequestId, SLOT_MS, slotKey } from '../../infra/mongo/prediction-log-address';

describe('prediction log addresses', () => {
  const at = Date.UTC(2026, 10, 28, 4, 0, 0, 123);

  it('mints UUIDv7 ids that carry their time and writer', () => {
    const id = mintRequestId(at, 'beef');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
    expect(addressOf(id)).toEqual({ writer: 'beef', slot: Math.floor(at / SLOT_MS) });
  });

  it('mints a different id every time, in time order across milliseconds', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => mintRequestId(at + Math.floor(i / 100)));
    expect(new Set(ids).size).toBe(ids.length);
    const firsts = ids.filter((_, i) => i % 100 === 0);
    expect([...firsts].sort()).toEqual(firsts);
    // the process's own writer id by default: 4 hex digits, the same for every id
    expect(new Set([mintRequestId(), mintRequestId()].map((i) => addressOf(i)!.writer)).size).toBe(1);
  });

  it('addresses batch rows and shadow copies by the id before the first colon', () => {
    const id = mintRequestId(at, '0a0b');
    expect(addressOf(`${id}:3`)).toEqual(addressOf(id));
    expect(addressOf(`${id}:shadow`)).toEqual(addressOf(id));
    expect(addressOf(`${id}:0:shadow`)).toEqual(addressOf(id));
  });

  it('leaves ids it did not mint unaddressed: caller-chosen ones, UUIDv4, other UUIDv7', () => {
    for (const id of ['req-abc123', 'batch-xyz789', '6f1c2e9b-1d4a-4012-8456-789abcdef012', '0193a6f0-3c2e-7123-8d1f-5a3b9c0e7f12', `${mintRequestId(at).toUpperCase()}`, `${mintRequestId(at)}x`, ''])
      expect(addressOf(id)).toBeUndefined();
  });

  it('names segments <writer>:<slot>:<seq>', () => {
    const a = addressOf(mintRequestId(at, 'c0de'))!;
    expect(addressedSegmentId(slotKey(a), 2)).toBe(`c0de:${Math.floor(at / 1000)}:2`);
  });
});
