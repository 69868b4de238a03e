import {
  accuracy,
  emptyCounters,
  isClientErrorCode,
  matchClass,
  meanAbsoluteError,
  mergeCounters,
  observeGroundTruth,
  observePrediction,
  observeShadowAgreement,
  predictedLabel,
  predictedValue,
  rootMeanSquaredError,
  sameLabel,
  sumCounters,
  isEmptyCounters,
} from '../../domain/metrics';

describe('accuracy, MAE, RMSE', () => {
  it.each([
    [422, 500, 0.844],
    [0, 3, 0],
    [3, 3, 1],
    [0, 0, null],
  ])('accuracy(%p, %p) = %p', (correct, labelled, expected) => {
    expect(accuracy(correct, labelled)).toBe(expected);
  });

  // errors (prediction − truth): 1, -3, 0.5, 2 → |e| sum 6.5, e² sum 1 + 9 + 0.25 + 4 = 14.25
  it.each([
    ['four errors', 6.5, 14.25, 4, 1.625, Math.sqrt(14.25 / 4)],
    ['one error', 3, 9, 1, 3, 3],
    ['no labels', 0, 0, 0, null, null],
  ])('%s', (_n, abs, sq, n, mae, rmse) => {
    expect(meanAbsoluteError(abs, n)).toBe(mae);
    if (rmse === null) expect(rootMeanSquaredError(sq, n)).toBeNull();
    else expect(rootMeanSquaredError(sq, n)).toBeCloseTo(rmse, 12);
  });

  it('accumulates regression errors through the counters the same way', () => {
    const c = emptyCounters();
    for (const error of [1, -3, 0.5, 2]) observeGroundTruth(c, { task: 'regression', error });
    expect(c).toMatchObject({ regLabelled: 4, absErrSum: 6.5, sqErrSum: 14.25 });
    expect(meanAbsoluteError(c.absErrSum, c.regLabelled)).toBe(1.625);
    expect(rootMeanSquaredError(c.sqErrSum, c.regLabelled)).toBeCloseTo(1.8874586, 6);
  });

  it('accumulates classification truth', () => {
    const c = emptyCounters();
    for (const correct of [true, true, false, true]) observeGroundTruth(c, { task: 'classification', correct });
    expect(accuracy(c.correct, c.clsLabelled)).toBe(0.75);
  });
});

describe('reading predictions', () => {
  it.each([
    [{ label: 'fraud', probabilities: { legit: 0.2, fraud: 0.8 } }, 'fraud'],
    [{ label: 3, probabilities: {} }, 3],
    [{ prediction: { label: 'legit' }, confidence: 0.9 }, 'legit'],
    [{ value: 2.5 }, undefined],
    [null, undefined],
    ['fraud', undefined],
    [[{ label: 'x' }], undefined],
    [{ label: Number.NaN }, undefined],
  ])('predictedLabel(%j) = %p', (outputs, expected) => {
    expect(predictedLabel(outputs)).toBe(expected);
  });

  it.each([
    [{ value: 2.5 }, 2.5],
    [{ prediction: { value: -1 } }, -1],
    [{ value: 'x' }, undefined],
    [{ label: 'a' }, undefined],
    [undefined, undefined],
  ])('predictedValue(%j) = %p', (outputs, expected) => {
    expect(predictedValue(outputs)).toBe(expected);
  });

  it('compares and matches labels by their string form', () => {
    expect(sameLabel(3, '3')).toBe(true);
    expect(sameLabel('fraud', 'Fraud')).toBe(false);
    expect(matchClass('3', [0, 1, 2, 3])).toBe(3);
    expect(matchClass('fraud', ['legit', 'fraud'])).toBe('fraud');
    expect(matchClass('maybe', ['legit', 'fraud'])).toBeUndefined();
  });
});

describe('counters', () => {
  it('classifies failures by the catalogue status (4xx client, else server)', () => {
    expect(isClientErrorCode('SCHEMA_VALIDATION_ERROR')).toBe(true);
    expect(isClientErrorCode('RATE_LIMIT_EXCEEDED')).toBe(true);
    expect(isClientErrorCode('SERVICE_UNAVAILABLE')).toBe(false);
    expect(isClientErrorCode('INFERENCE_ERROR')).toBe(false);
    expect(isClientErrorCode('SOMETHING_NEW')).toBe(false);
    expect(isClientErrorCode(undefined)).toBe(false);
  });

  it('counts predictions, errors, cache hits and latency of successes only', () => {
    const c = emptyCounters();
    observePrediction(c, { status: 'Completed', latencyMs: 2, cached: true });
    observePrediction(c, { status: 'Completed', latencyMs: 4 });
    observePrediction(c, { status: 'Failed', errorCode: 'SCHEMA_VALIDATION_ERROR', latencyMs: 0.1 });
    observePrediction(c, { status: 'Failed', errorCode: 'SERVICE_UNAVAILABLE', latencyMs: 9 });
    observePrediction(c, { status: 'Completed', latencyMs: Number.NaN });
    observeShadowAgreement(c, true);
    observeShadowAgreement(c, false);
    expect(c).toMatchObject({
      count: 5,
      cached: 1,
      clientErrors: 1,
      serverErrors: 1,
      latCount: 2,
      latSum: 6,
      latSqSum: 20,
      latMin: 2,
      latMax: 4,
      shadowCompared: 2,
      shadowAgreed: 1,
    });
    expect(c.hist[6]).toBe(1); // (1.5, 2]
    expect(c.hist[8]).toBe(1); // (3, 5]
  });

  it('merges by summing, keeping the smaller min and the larger max', () => {
    const a = emptyCounters();
    const b = emptyCounters();
    observePrediction(a, { status: 'Completed', latencyMs: 5 });
    observePrediction(b, { status: 'Completed', latencyMs: 1 });
    observePrediction(b, { status: 'Completed', latencyMs: 50 });
    const total = sumCounters([a, b]);
    expect(total).toMatchObject({ count: 3, latCount: 3, latSum: 56, latMin: 1, latMax: 50 });
    expect(total.hist.reduce((s, n) => s + n, 0)).toBe(3);
    const copy = emptyCounters();
    mergeCounters(copy, emptyCounters());
    expect(isEmptyCounters(copy)).toBe(true);
    expect(isEmptyCounters(total)).toBe(false);
  });
});
