import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../domain/errors';
import { compileFeatureEncoder, FeatureSchemaError, sampleRows, type EncodedRows } from '../../domain/feature-schema';

const schema = {
  type: 'object',
  properties: {
    amount: { type: 'number', minimum: 0, maximum: 1000 },
    channel: { type: 'string', enum: ['web', 'pos', 'atm'] },
    age: { type: 'integer', minimum: 0 },
    intl: { type: 'boolean', default: false },
    scores: { type: 'array', items: { type: 'number', minimum: -1, maximum: 1 }, minItems: 3, maxItems: 3 },
    ratio: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.5 },
    note: { type: 'string', maxLength: 5 },
  },
  required: ['amount', 'channel', 'age', 'scores'],
  additionalProperties: false,
  'x-hotswap-tensor': { name: 'input', encoding: 'dense', order: ['amount', 'channel', 'age', 'intl', 'scores', 'ratio'] },
};

const valid = { amount: 12.5, channel: 'pos', age: 3, intl: true, scores: [0.5, -1, 1], ratio: 0.25 };

function errorsOf(fn: () => unknown): { field: string; message: string }[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe('SCHEMA_VALIDATION_ERROR');
    expect((e as AppError).status).toBe(400);
    return (e as AppError).details;
  }
  throw new Error('expected a SCHEMA_VALIDATION_ERROR');
}

const dense = (e: EncodedRows) => {
  expect(e.kind).toBe('dense');
  return Array.from(e.data as Float32Array);
};

describe('compileFeatureEncoder: dense encoding', () => {
  const enc = compileFeatureEncoder(schema);

  it('computes the width from the order: numbers 1, one-hot enum size, arrays their length', () => {
    expect(enc.width).toBe(1 + 3 + 1 + 1 + 3 + 1);
    expect(enc.tensorName).toBe('input');
    expect(enc.encoding).toBe('dense');
  });

  it.each([
    ['all fields given', valid, [12.5, 0, 1, 0, 3, 1, 0.5, -1, 1, 0.25]],
    ['optional fields take their default', { amount: 0, channel: 'web', age: 0, scores: [0, 0, 0] }, [0, 1, 0, 0, 0, 0, 0, 0, 0, 0.5]],
    ['last enum value', { ...valid, channel: 'atm', intl: false }, [12.5, 0, 0, 1, 3, 0, 0.5, -1, 1, 0.25]],
    ['bounds are inclusive for minimum/maximum', { ...valid, amount: 1000 }, [1000, 0, 1, 0, 3, 1, 0.5, -1, 1, 0.25]],
    ['properties outside the order are validated but not encoded', { ...valid, note: 'hi' }, [12.5, 0, 1, 0, 3, 1, 0.5, -1, 1, 0.25]],
  ])('%s', (_name, row, expected) => {
    const out = enc.encodeOne(row);
    expect(out.rows).toBe(1);
    expect(dense(out)).toEqual(expected.map((x) => Math.fround(x)));
  });

  it.each<[string, unknown, { field: string; message: string }[]]>([
    ['missing required field', { ...valid, amount: undefined }, [{ field: 'amount', message: 'is required' }]],
    ['unknown field', { ...valid, colour: 'red' }, [{ field: 'colour', message: 'is not an allowed field' }]],
    ['string for a number', { ...valid, amount: '12' }, [{ field: 'amount', message: 'must be a number' }]],
    ['"NaN" string for a number', { ...valid, amount: 'NaN' }, [{ field: 'amount', message: 'must be a number' }]],
    ['NaN', { ...valid, amount: Number.NaN }, [{ field: 'amount', message: 'must be a finite number' }]],
    ['Infinity', { ...valid, amount: Number.POSITIVE_INFINITY }, [{ field: 'amount', message: 'must be a finite number' }]],
    ['null for a number', { ...valid, amount: null }, [{ field: 'amount', message: 'must be a number' }]],
    ['below minimum', { ...valid, amount: -0.01 }, [{ field: 'amount', message: 'must be >= 0 and <= 1000' }]],
    ['above maximum', { ...valid, amount: 1000.5 }, [{ field: 'amount', message: 'must be >= 0 and <= 1000' }]],
    ['exclusive minimum', { ...valid, ratio: 0 }, [{ field: 'ratio', message: 'must be > 0 and < 1' }]],
    ['exclusive maximum', { ...valid, ratio: 1 }, [{ field: 'ratio', message: 'must be > 0 and < 1' }]],
    ['fraction for an integer', { ...valid, age: 1.5 }, [{ field: 'age', message: 'must be an integer' }]],
    ['integer below its minimum', { ...valid, age: -1 }, [{ field: 'age', message: 'must be >= 0' }]],
    ['not in enum', { ...valid, channel: 'phone' }, [{ field: 'channel', message: 'must be one of "web", "pos", "atm"' }]],
    ['number for an enum string', { ...valid, channel: 1 }, [{ field: 'channel', message: 'must be a string' }]],
    ['string for a boolean', { ...valid, intl: 'true' }, [{ field: 'intl', message: 'must be a boolean' }]],
    ['1 for a boolean', { ...valid, intl: 1 }, [{ field: 'intl', message: 'must be a boolean' }]],
    ['array too short', { ...valid, scores: [1, 2] }, [{ field: 'scores', message: 'must have exactly 3 items' }]],
    ['array too long', { ...valid, scores: [0, 0, 0, 0] }, [{ field: 'scores', message: 'must have exactly 3 items' }]],
    ['not an array', { ...valid, scores: 'abc' }, [{ field: 'scores', message: 'must be an array' }]],
    ['bad array item type', { ...valid, scores: [0, 'x', 0] }, [{ field: 'scores[1]', message: 'must be a number' }]],
    ['array item out of range', { ...valid, scores: [0, 0, 2] }, [{ field: 'scores[2]', message: 'must be >= -1 and <= 1' }]],
    ['non-encoded property too long', { ...valid, note: 'toolong' }, [{ field: 'note', message: 'must be at most 5 characters' }]],
    ['non-encoded property wrong type', { ...valid, note: 5 }, [{ field: 'note', message: 'must be a string' }]],
    ['row that is not an object', [1, 2, 3], [{ field: 'features', message: 'must be an object of feature values' }]],
    ['row that is null', null, [{ field: 'features', message: 'must be an object of feature values' }]],
  ])('rejects %s', (_name, row, expected) => {
    expect(errorsOf(() => enc.encodeOne(row))).toEqual(expected);
  });

  it('reports every bad field at once, not only the first', () => {
    const details = errorsOf(() => enc.encodeOne({ amount: 'x', channel: 'phone', age: -2, intl: 'no', scores: [1], extra: 1, other: 2 }));
    expect(details.map((d) => d.field).sort()).toEqual(['age', 'amount', 'channel', 'extra', 'intl', 'other', 'scores'].sort());
  });

  it('a single error names the field in the message', () => {
    try {
      enc.encodeOne({ ...valid, amount: -1 });
    } catch (e) {
      expect((e as Error).message).toBe('Input schema validation failed: amount must be >= 0 and <= 1000');
    }
  });

  it('encodes batches row-major and prefixes errors with instances[i].', () => {
    const out = enc.encodeMany([valid, { ...valid, amount: 1, channel: 'web' }]);
    expect(out.rows).toBe(2);
    expect(dense(out).slice(10, 14)).toEqual([1, 1, 0, 0]);
    const details = errorsOf(() => enc.encodeMany([valid, { ...valid, amount: 'x' }, { ...valid, zzz: 1, age: undefined }, 7]));
    expect(details).toEqual([
      { field: 'instances[1].amount', message: 'must be a number' },
      { field: 'instances[2].zzz', message: 'is not an allowed field' },
      { field: 'instances[2].age', message: 'is required' },
      { field: 'instances[3]', message: 'must be an object of feature values' },
    ]);
  });

  it('an optional field without a default encodes as zeros', () => {
    const s: Record<string, any> = structuredClone(schema);
    s.properties.channel = { type: 'string', enum: ['a', 'b'] };
    s.required = ['amount', 'age', 'scores'];
    const e = compileFeatureEncoder(s);
    expect(dense(e.encodeOne({ amount: 1, age: 2, scores: [0, 0, 0] }))).toEqual([1, 0, 0, 2, 0, 0, 0, 0, 0.5]);
  });

  it('allows extra fields when additionalProperties is not false', () => {
    const e = compileFeatureEncoder({ ...schema, additionalProperties: true });
    expect(e.encodeOne({ ...valid, colour: 'red' }).rows).toBe(1);
  });
});

describe('compileFeatureEncoder: string encoding', () => {
  const enc = compileFeatureEncoder({
    type: 'object',
    properties: { text: { type: 'string', minLength: 1, maxLength: 10 } },
    required: ['text'],
    additionalProperties: false,
    'x-hotswap-tensor': { name: 'text', encoding: 'string', order: ['text'] },
  });

  it('makes one string per row', () => {
    expect(enc.width).toBe(1);
    expect(enc.encodeOne({ text: 'good' })).toEqual({ kind: 'string', rows: 1, width: 1, data: ['good'] });
    expect(enc.encodeMany([{ text: 'a' }, { text: 'b' }]).data).toEqual(['a', 'b']);
  });

  it.each([
    [{ text: '' }, 'text', 'must be at least 1 characters'],
    [{ text: 'x'.repeat(11) }, 'text', 'must be at most 10 characters'],
    [{ text: 5 }, 'text', 'must be a string'],
    [{}, 'text', 'is required'],
    [{ text: 'a', lang: 'en' }, 'lang', 'is not an allowed field'],
  ])('rejects %j', (row, field, message) => {
    expect(errorsOf(() => enc.encodeOne(row))).toEqual([{ field, message }]);
  });
});

describe('compileFeatureEncoder: schemas that break the convention', () => {
  const base = () => structuredClone(schema) as Record<string, any>;
  it.each<[string, (s: Record<string, any>) => unknown, RegExp]>([
    ['not an object', () => 'nope', /inputSchema: must be an object/],
    ['no extension', (s) => ({ ...s, 'x-hotswap-tensor': undefined }), /x-hotswap-tensor: is required/],
    ['bad encoding', (s) => ({ ...s, 'x-hotswap-tensor': { ...s['x-hotswap-tensor'], encoding: 'sparse' } }), /encoding: must be "dense" or "string"/],
    ['order names an unknown property', (s) => ({ ...s, 'x-hotswap-tensor': { ...s['x-hotswap-tensor'], order: ['amount', 'ghost'] } }), /"ghost" is not a property/],
    ['order repeats a property', (s) => ({ ...s, 'x-hotswap-tensor': { ...s['x-hotswap-tensor'], order: ['amount', 'amount'] } }), /"amount" appears twice/],
    ['free-text string in a dense tensor', (s) => ({ ...s, 'x-hotswap-tensor': { ...s['x-hotswap-tensor'], order: ['note'] } }), /must be categorical/],
    ['array without fixed length', (s) => ({ ...s, properties: { ...s.properties, scores: { type: 'array', items: { type: 'number' }, minItems: 1 } } }), /need a fixed length/],
    ['array of strings', (s) => ({ ...s, properties: { ...s.properties, scores: { type: 'array', items: { type: 'string' }, minItems: 3, maxItems: 3 } } }), /must hold numbers/],
    ['unknown property type', (s) => ({ ...s, properties: { ...s.properties, amount: { type: 'decimal' } } }), /amount.type: must be one of/],
    ['required names an unknown property', (s) => ({ ...s, required: ['ghost'] }), /"ghost" is not a property/],
    ['default outside its own range', (s) => ({ ...s, properties: { ...s.properties, ratio: { type: 'number', maximum: 1, default: 2 } } }), /ratio.default: must be <= 1/],
    ['string encoding with two properties', (s) => ({ ...s, 'x-hotswap-tensor': { name: 't', encoding: 'string', order: ['note', 'channel'] } }), /exactly one property/],
    ['string encoding of a number', (s) => ({ ...s, 'x-hotswap-tensor': { name: 't', encoding: 'string', order: ['amount'] } }), /string encoding needs a string property/],
    ['non-numeric minimum', (s) => ({ ...s, properties: { ...s.properties, amount: { type: 'number', minimum: '0' } } }), /amount.minimum: must be a number/],
  ])('%s', (_name, mutate, message) => {
    let err: unknown;
    try {
      compileFeatureEncoder(mutate(base()));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FeatureSchemaError);
    expect((err as Error).message).toMatch(message);
  });
});

describe('sampleRows (warm-up rows)', () => {
  it('produces rows that pass the schema they come from', () => {
    const rows = sampleRows(schema, 7);
    expect(rows).toHaveLength(7);
    const enc = compileFeatureEncoder(schema);
    expect(enc.encodeMany(rows).rows).toBe(7);
  });

  it('cycles numbers through the bounds and enums through their values', () => {
    const rows = sampleRows({ type: 'object', properties: { a: { type: 'number', minimum: 0, maximum: 10 }, e: { type: 'string', enum: ['x', 'y'] } }, 'x-hotswap-tensor': { name: 'i', encoding: 'dense', order: ['a', 'e'] } }, 3);
    expect(rows).toEqual([
      { a: 0, e: 'x' },
      { a: 5, e: 'y' },
      { a: 10, e: 'x' },
    ]);
  });

  it.each(['fraud-detection/1.0.0', 'digits/1.0.0', 'sentiment/1.0.0'])('is valid for the example model %s', (id) => {
    const meta = JSON.parse(readFileSync(join(__dirname, '..', '..', 'examples', 'models', id, 'metadata.json'), 'utf8'));
    const enc = compileFeatureEncoder(meta.inputSchema);
    expect(enc.encodeMany(sampleRows(meta.inputSchema, 5)).rows).toBe(5);
  });

  it('handles exclusive bounds, integers, examples and string lengths', () => {
    const s = {
      type: 'object',
      properties: {
        i: { type: 'integer', exclusiveMinimum: 0, exclusiveMaximum: 3 },
        f: { type: 'number', exclusiveMinimum: 1 },
        ex: { type: 'number', examples: [42] },
        s: { type: 'string', minLength: 12, maxLength: 12 },
        neg: { type: 'number', maximum: -5 },
      },
      'x-hotswap-tensor': { name: 's', encoding: 'string', order: ['s'] },
    };
    const rows = sampleRows(s, 3);
    const enc = compileFeatureEncoder(s);
    expect(enc.encodeMany(rows).rows).toBe(3);
    expect(rows.map((r) => r.ex)).toEqual([42, 42, 42]);
  });
});

describe('example models encode exactly as the python reference', () => {
  const ref = JSON.parse(readFileSync(join(__dirname, '..', '..', 'examples', 'reference-predictions.json'), 'utf8')).models as Record<string, Record<string, any>>;
  const cases = Object.entries(ref).flatMap(([model, versions]) => Object.keys(versions).map((v) => [model, v] as const));
  it.each(cases)('%s %s', (model, version) => {
    const meta = JSON.parse(readFileSync(join(__dirname, '..', '..', 'examples', 'models', model, version, 'metadata.json'), 'utf8'));
    const enc = compileFeatureEncoder(meta.inputSchema);
    const rows = ref[model][version].rows as { instance: unknown; tensor: (number | string)[] }[];
    const out = enc.encodeMany(rows.map((r) => r.instance));
    const width = enc.width;
    rows.forEach((r, i) => {
      const got = out.kind === 'dense' ? Array.from(out.data.subarray(i * width, (i + 1) * width)) : [out.data[i]];
      expect(got).toEqual(r.tensor);
    });
  });
});
