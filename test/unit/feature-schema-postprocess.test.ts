import { compileOutputDecoder, FeatureSchemaError, OutputDecodeError } from '../../domain/feature-schema';

const classification = { 'x-hotswap-outputs': { task: 'classification', labelOutput: 'label', probabilitiesOutput: 'probabilities', classes: ['legit', 'fraud'] } };
const regression = { 'x-hotswap-outputs': { task: 'regression', valueOutput: 'variable' } };

describe('compileOutputDecoder: classification', () => {
  const dec = compileOutputDecoder(classification);

  it('fetches only the probabilities output', () => {
    expect(dec.task).toBe('classification');
    expect(dec.fetches).toEqual(['probabilities']);
  });

  it.each([
    ['second class wins', [0.2, 0.8], 'fraud', 0.8],
    ['first class wins', [0.9, 0.1], 'legit', 0.9],
    ['ties go to the first class', [0.5, 0.5], 'legit', 0.5],
  ])('%s', (_name, row, label, confidence) => {
    const p = dec.decodeRow({ probabilities: { data: Float64Array.from(row), dims: [1, 2] } }, 0);
    expect(p).toEqual({ prediction: { label, probabilities: { legit: row[0], fraud: row[1] } }, confidence });
  });

  it('reads row i of a batch', () => {
    const out = { probabilities: { data: Float64Array.from([0.9, 0.1, 0.3, 0.7, 0.6, 0.4]), dims: [3, 2] } };
    expect([0, 1, 2].map((i) => dec.decodeRow(out, i).prediction)).toEqual([
      { label: 'legit', probabilities: { legit: 0.9, fraud: 0.1 } },
      { label: 'fraud', probabilities: { legit: 0.3, fraud: 0.7 } },
      { label: 'legit', probabilities: { legit: 0.6, fraud: 0.4 } },
    ]);
  });

  it('keeps numeric class labels as numbers and keys probabilities by their string form', () => {
    const d = compileOutputDecoder({ 'x-hotswap-outputs': { task: 'classification', probabilitiesOutput: 'p', classes: [0, 1, 2] } });
    expect(d.decodeRow({ p: { data: [0.1, 0.2, 0.7], dims: [1, 3] } }, 0)).toEqual({ prediction: { label: 2, probabilities: { '0': 0.1, '1': 0.2, '2': 0.7 } }, confidence: 0.7 });
  });

  it.each([
    ['output missing', {}, /no output named probabilities/],
    ['wrong number of columns', { probabilities: { data: [0.1, 0.2, 0.7], dims: [1, 3] } }, /3 probabilities per row; the schema lists 2 classes/],
  ])('fails clearly when %s', (_name, outputs, message) => {
    expect(() => dec.decodeRow(outputs, 0)).toThrow(OutputDecodeError);
    expect(() => dec.decodeRow(outputs, 0)).toThrow(message);
  });
});

describe('compileOutputDecoder: regression', () => {
  const dec = compileOutputDecoder(regression);

  it.each([
    ['[N, 1] output', { data: Float32Array.from([1.5, -2]), dims: [2, 1] }, 1, -2],
    ['[N] output', { data: Float32Array.from([3.25]), dims: [1] }, 0, 3.25],
    ['int64 output', { data: BigInt64Array.from([7n]), dims: [1] }, 0, 7],
  ])('%s', (_name, tensor, row, value) => {
    expect(dec.decodeRow({ variable: tensor }, row)).toEqual({ prediction: { value }, confidence: null });
  });

  it('rejects more than one value per row', () => {
    expect(() => dec.decodeRow({ variable: { data: [1, 2], dims: [1, 2] } }, 0)).toThrow(/regression expects 1/);
  });
});

describe('compileOutputDecoder: schemas that break the convention', () => {
  it.each<[string, unknown, RegExp]>([
    ['not an object', null, /outputSchema: must be an object/],
    ['no extension', { type: 'object' }, /x-hotswap-outputs: is required/],
    ['unknown task', { 'x-hotswap-outputs': { task: 'ranking' } }, /task: must be "classification" or "regression"/],
    ['classification without classes', { 'x-hotswap-outputs': { task: 'classification', probabilitiesOutput: 'p' } }, /classes: must be a non-empty array/],
    ['duplicate classes', { 'x-hotswap-outputs': { task: 'classification', probabilitiesOutput: 'p', classes: ['a', 'a'] } }, /labels must be distinct/],
    ['classification without probabilities', { 'x-hotswap-outputs': { task: 'classification', classes: ['a'] } }, /probabilitiesOutput: must name/],
    ['empty labelOutput', { 'x-hotswap-outputs': { task: 'classification', classes: ['a'], probabilitiesOutput: 'p', labelOutput: '' } }, /labelOutput: must name/],
    ['regression without valueOutput', { 'x-hotswap-outputs': { task: 'regression' } }, /valueOutput: must name/],
  ])('%s', (_name, schema, message) => {
    expect(() => compileOutputDecoder(schema)).toThrow(FeatureSchemaError);
    expect(() => compileOutputDecoder(schema)).toThrow(message);
  });
});
