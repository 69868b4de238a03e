import {
  BUCKET_RESOLUTIONS_S,
  bucketStartMs,
  coverWindow,
  emptyCounters,
  observeGroundTruth,
  observePrediction,
  observeShadowAgreement,
  parseIsoDuration,
  summarize,
} from '../../domain/metrics';

const T = (iso: string) => Date.parse(iso);

describe('bucketStartMs', () => {
  it.each([
    ['2025-01-15T10:00:07.500Z', 10, '2025-01-15T10:00:00.000Z'],
    ['2025-01-15T10:00:10.000Z', 10, '2025-01-15T10:00:10.000Z'],
    ['2025-01-15T10:04:59.999Z', 300, '2025-01-15T10:00:00.000Z'],
    ['2025-01-15T10:59:59.000Z', 3600, '2025-01-15T10:00:00.000Z'],
  ])('%s at %ps → %s', (t, res, start) => {
    expect(new Date(bucketStartMs(T(t), res)).toISOString()).toBe(start);
  });
});

describe('coverWindow', () => {
  const show = (c: ReturnType<typeof coverWindow>) => c.spans.map((s) => `${s.resolutionS}:${new Date(s.fromMs).toISOString().slice(11, 19)}-${new Date(s.toMs).toISOString().slice(11, 19)}`);

  it('uses the coarsest aligned buckets and 10-second buckets at the edges', () => {
    const c = coverWindow(T('2025-01-15T00:59:50Z'), T('2025-01-15T02:00:20Z'));
    expect(show(c)).toEqual(['3600:01:00:00-02:00:00', '10:00:59:50-01:00:00', '10:02:00:00-02:00:20']);
    expect(new Date(c.coveredFromMs).toISOString()).toBe('2025-01-15T00:59:50.000Z');
    expect(new Date(c.coveredToMs).toISOString()).toBe('2025-01-15T02:00:20.000Z');
  });

  it('rounds both ends up to 10 s (a bucket counts when its start is in the window)', () => {
    const c = coverWindow(T('2025-01-15T10:00:03Z'), T('2025-01-15T10:00:27Z'));
    expect(show(c)).toEqual(['10:10:00:10-10:00:30']);
  });

  it('mixes 5-minute buckets when an hour does not fit', () => {
    const c = coverWindow(T('2025-01-15T10:03:00Z'), T('2025-01-15T10:21:10Z'));
    expect(show(c)).toEqual(['300:10:05:00-10:20:00', '10:10:03:00-10:05:00', '10:10:20:00-10:21:10']);
  });

  it('is empty for an empty or inverted window', () => {
    expect(coverWindow(T('2025-01-15T10:00:00Z'), T('2025-01-15T10:00:00Z')).spans).toEqual([]);
    expect(coverWindow(T('2025-01-15T10:00:00Z'), T('2025-01-15T09:00:00Z')).spans).toEqual([]);
  });

  it('covers every 10-second bucket of the window exactly once (random windows)', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const problems: string[] = [];
    for (let trial = 0; trial < 60; trial++) {
      const from = T('2025-01-15T00:00:00Z') + Math.floor(random() * 2 * 86400_000);
      const to = from + Math.floor(random() * 86400_000);
      const c = coverWindow(from, to);
      const covered = new Map<number, number>();
      let documents = 0;
      for (const s of c.spans) {
        const size = s.resolutionS * 1000;
        if (s.fromMs % size !== 0 || s.toMs % size !== 0) problems.push(`unaligned span ${JSON.stringify(s)}`);
        documents += (s.toMs - s.fromMs) / size;
        for (let t = s.fromMs; t < s.toMs; t += 10_000) covered.set(t, (covered.get(t) ?? 0) + 1);
      }
      let expected = 0;
      for (let t = Math.ceil(from / 10_000) * 10_000; t < to; t += 10_000) {
        if (covered.get(t) !== 1) problems.push(`${from}-${to}: bucket ${t} covered ${covered.get(t) ?? 0} times`);
        expected++;
      }
      if (covered.size !== expected) problems.push(`${from}-${to}: ${covered.size} buckets covered, ${expected} expected`);
      // Few documents per series even for long windows: ≤ 24 hours + 2 × (11 five-minute + 29 ten-second).
      if (documents > 24 + 2 * (11 + 29)) problems.push(`${from}-${to}: ${documents} documents`);
    }
    expect(problems).toEqual([]);
    expect(BUCKET_RESOLUTIONS_S).toEqual([10, 300, 3600]);
  });
});

describe('summarize', () => {
  it('computes the spec fields from counters (hand-computed)', () => {
    const c = emptyCounters();
    // 8 successes: latencies 1, 2, 2, 3, 4, 4, 4, 20 ms; 1 client error; 1 server error.
    for (const ms of [1, 2, 2, 3, 4, 4, 4, 20]) observePrediction(c, { status: 'Completed', latencyMs: ms });
    observePrediction(c, { status: 'Failed', errorCode: 'SCHEMA_VALIDATION_ERROR', latencyMs: 1 });
    observePrediction(c, { status: 'Failed', errorCode: 'INFERENCE_ERROR', latencyMs: 1 });
    for (const ok of [true, true, true, false]) observeGroundTruth(c, { task: 'classification', correct: ok });
    observeShadowAgreement(c, true);
    const m = summarize(c, 60);
    expect(m).toMatchObject({
      totalRequests: 10,
      successfulInferences: 8,
      failedInferences: 2,
      clientErrors: 1,
      serverErrors: 1,
      errorRate: 0.1,
      avgLatencyMs: 5,
      minLatencyMs: 1,
      maxLatencyMs: 20,
      accuracy: 0.75,
      labelledCount: 4,
      mae: null,
      rmse: null,
      shadowAgreement: 1,
      shadowCompared: 1,
      driftScore: null,
    });
    expect(m.throughputRps).toBeCloseTo(10 / 60, 12);
    // Sample variance of [1,2,2,3,4,4,4,20]: mean 5, Σ(x−5)² = 16+9+9+4+1+1+1+225 = 266 → 266/7.
    expect(m.latencyStdDevMs).toBeCloseTo(Math.sqrt(266 / 7), 9);
    // p50 = 4th of 8 → 3 ms, in (2, 3]; p99 = 8th → 20 ms, in (15, 20].
    expect(m.p50LatencyMs!).toBeGreaterThan(2);
    expect(m.p50LatencyMs!).toBeLessThanOrEqual(3);
    expect(m.p99LatencyMs!).toBeGreaterThan(15);
    expect(m.p99LatencyMs!).toBeLessThanOrEqual(20);
  });

  it('reports nulls for an empty window', () => {
    expect(summarize(emptyCounters(), 3600)).toMatchObject({ totalRequests: 0, errorRate: null, avgLatencyMs: null, p50LatencyMs: null, p99LatencyMs: null, accuracy: null, throughputRps: 0 });
  });
});

describe('parseIsoDuration', () => {
  it.each([
    ['PT1H', 3600],
    ['PT15M', 900],
    ['PT30S', 30],
    ['PT0.5S', 0.5],
    ['P1D', 86400],
    ['P7D', 604800],
    ['P1DT12H', 129600],
    ['PT1H30M5S', 5405],
    ['P2W', 1209600],
  ])('%s = %p s', (text, seconds) => {
    expect(parseIsoDuration(text)).toEqual({ ok: true, seconds });
  });

  it.each([['1h'], ['PT'], ['P'], ['PT1X'], ['pt1h'], [''], ['P1DT'], ['PT-5M'], ['P1.5D']])('rejects %p', (text) => {
    expect(parseIsoDuration(text)).toMatchObject({ ok: false });
  });

  it.each([['P1M'], ['P1Y'], ['P1Y2M3D']])('rejects calendar units in %p with a reason', (text) => {
    expect(parseIsoDuration(text)).toEqual({ ok: false, reason: expect.stringContaining('years and months') });
  });
});
