import zlib from 'node:zlib';
import { decodeSegment, encodeSegment, encodeSegmentSliced, SEGMENT_CODEC, seriesKey, type PredictionDoc } from '../../infra/mongo/prediction-segment-codec';

const t0 = Date.UTC(2026, 10, 28, 1, 0, 0);
const entry = (id: string, over: Partial<PredictionDoc> = {}): PredictionDoc => ({
  _id: id,
  requestId: id,
  time: new Date(t0),
  modelId: 'm1',
  modelName: 'fraud-detection',
  version: '1.0.0',
  versionId: 'v1',
  environment: 'Production',
  role: 'primary',
  features: { transaction_amount: 115.04, merchant_category: 'grocery', is_international: true },
  outputs: { label: 'fraud', confidence: 0.62, probabilities: { fraud: 0.62, legit: 0.38 } },
  latencyMs: 1.25,
  status: 'Completed',
  cached: false,
  ...over,
});

describe('prediction segment codec', () => {
  const docs: PredictionDoc[] = [
    entry('r1', { traceId: 'abc', serverId: 'ms-1' }),
    entry('r1:shadow', { role: 'shadow', version: '2.0.0', versionId: 'v2', primaryRequestId: 'r1', time: new Date(t0 + 40) }),
    entry('r2', { time: new Date(t0 - 5), status: 'Failed', errorCode: 'SCHEMA_VALIDATION_ERROR', outputs: null, latencyMs: null }),
    entry('r3', { environment: 'Staging', cached: true, features: { 'odd.key': 1, $dollar: [1, 2] }, time: new Date(t0 + 10) }),
  ];

  it('round-trips every field, types included (times come back as Dates)', async () => {
    const { data } = encodeSegment(docs);
    const back = await decodeSegment(data);
    const byId = new Map(back.map((d) => [d._id, d]));
    expect(back).toHaveLength(docs.length);
    for (const d of docs) expect(byId.get(d._id)).toEqual(d);
    expect(byId.get('r2')!.time).toBeInstanceOf(Date);
    expect('traceId' in byId.get('r2')!).toBe(false);
  });

  it('indexes the segment: ids, series, time range, count, and an id that depends only on the entry ids', async () => {
    const { index } = encodeSegment(docs);
    expect(index.ids).toEqual(['r1', 'r1:shadow', 'r2', 'r3']);
    expect(index.count).toBe(4);
    expect(index.from).toEqual(new Date(t0 - 5));
    expect(index.to).toEqual(new Date(t0 + 40));
    expect(index.series.sort()).toEqual(['m1|Production|v1|primary', 'm1|Production|v2|shadow', 'm1|Staging|v1|primary'].sort());
    expect(seriesKey(docs[1])).toBe('m1|Production|v2|shadow');
    // The same batch again (a retry) → the same _id; another batch → another.
    expect((encodeSegment(docs.map((d) => ({ ...d, latencyMs: 9 })))).index._id).toBe(index._id);
    expect((encodeSegment(docs.slice(1))).index._id).not.toBe(index._id);
  });

  it('encodes in slices, giving the event loop back between them, to the same bytes', async () => {
    const many = Array.from({ length: 100 }, (_, i) => entry(`s-${i}`, { time: new Date(t0 + i), features: { i } }));
    let turns = 0;
    let counting = true;
    const tick = () => {
      if (!counting) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    const sliced = await encodeSegmentSliced(many, 10);
    counting = false;
    expect(turns).toBeGreaterThanOrEqual(9);
    expect(sliced.data.equals(encodeSegment(many).data)).toBe(true);
    expect(sliced.index).toEqual(encodeSegment(many).index);
    expect((await decodeSegment(sliced.data)).map((d) => d._id).sort()).toEqual(many.map((d) => d._id).sort());
    await expect(encodeSegmentSliced([entry('z', { features: { n: BigInt(1) } })])).rejects.toThrow(/BigInt/);
  });

  it('stores far fewer bytes than the entries as JSON', async () => {
    const many = Array.from({ length: 200 }, (_, i) => entry(`req-${i}`, { time: new Date(t0 + i), latencyMs: 1 + (i % 7) / 10 }));
    const { data } = encodeSegment(many);
    expect(data.length * 4).toBeLessThan(Buffer.byteLength(JSON.stringify(many)));
  });

  it('refuses what it cannot encode or decode, with the reason', async () => {
    expect(() => encodeSegment([])).toThrow(/at least one entry/);
    expect(() => encodeSegment([entry('x', { time: new Date(Number.NaN) })])).toThrow(/entry x has no valid time/);
    expect(() => encodeSegment([entry('y', { features: { n: BigInt(1) } })])).toThrow(/BigInt/);
    const { data } = encodeSegment(docs);
    await expect(decodeSegment(data, 'zstd/9')).rejects.toThrow(/unknown prediction segment codec zstd\/9/);
    await expect(decodeSegment(Buffer.from('not brotli'))).rejects.toThrow();
    expect(SEGMENT_CODEC).toBe('json+brotli/1');
  });

  it('gives back features and outputs a writer stored as JSON text as values, without the flag', async () => {
    const refused = entry('r9', { features: JSON.stringify({ 'odd.key': 1 }), outputs: JSON.stringify({ label: 'fraud' }), encoded: 'json' });
    const [back] = await decodeSegment(encodeSegment([refused]).data);
    expect(back).toEqual(entry('r9', { features: { 'odd.key': 1 }, outputs: { label: 'fraud' } }));
  });

  it('still reads segments written with the first codec (raw deflate)', async () => {
    const payload = { v: 1, groups: [{ s: { modelId: 'm1', modelName: 'fraud-detection', version: '1.0.0', versionId: 'v1', environment: 'Production', role: 'primary' }, e: [{ _id: 'old-1', t: t0, features: { a: 1 }, outputs: null, latencyMs: 2, status: 'Completed', cached: false }] }] };
    const old = zlib.deflateRawSync(Buffer.from(JSON.stringify(payload)));
    expect(await decodeSegment(old, 'json+deflate-raw/1')).toEqual([entry('old-1', { features: { a: 1 }, outputs: null, latencyMs: 2 })]);
  });
});
