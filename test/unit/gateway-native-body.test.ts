import { AppError } from '../../domain/errors';
import { validateNativeBody } from '../../api/gateway/native-body';
import { splitAfter } from '../../api/gateway/lean-http';

const fields = (fn: () => unknown): string[] => {
  try {
    fn();
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe('VALIDATION_ERROR');
    return (e as AppError).details.map((d) => d.field);
  }
};

describe('validateNativeBody', () => {
  it.each<[string, Record<string, unknown>, string[]]>([
    ['features', { features: { a: 1 } }, []],
    ['features and a version pin', { features: { a: 1 }, version: '2.0.0' }, []],
    ['missing features', {}, ['features']],
    ['features not an object', { features: [1, 2] }, ['features']],
    ['an unknown field', { features: { a: 1 }, extra: true }, ['extra']],
    ['a bad version', { features: { a: 1 }, version: 2 }, ['version']],
    ['an empty version', { features: { a: 1 }, version: '' }, ['version']],
  ])('single: %s', (_n, body, expected) => expect(fields(() => validateNativeBody(body, 'single', 10))).toEqual(expected));

  it.each<[string, Record<string, unknown>, string[]]>([
    ['instances', { instances: [{ a: 1 }, { a: 2 }] }, []],
    ['exactly the maximum', { instances: Array.from({ length: 3 }, () => ({ a: 1 })) }, []],
    ['one over the maximum', { instances: Array.from({ length: 4 }, () => ({ a: 1 })) }, ['instances']],
    ['empty', { instances: [] }, ['instances']],
    ['missing', { features: {} }, ['features', 'instances']],
    ['a non-object instance', { instances: [{ a: 1 }, 5, null] }, ['instances[1]', 'instances[2]']],
  ])('batch: %s', (_n, body, expected) => expect(fields(() => validateNativeBody(body, 'batch', 3))).toEqual(expected));

  it('says how many instances were sent', () => {
    try {
      validateNativeBody({ instances: Array.from({ length: 1001 }, () => ({})) }, 'batch', 1000);
    } catch (e) {
      expect((e as AppError).details[0].message).toBe('must hold at most 1000 instances (got 1001)');
    }
  });
});

describe('splitAfter', () => {
  it.each<[string, string, string[] | null, string]>([
    ['/api/v1/inference/fraud', '/api/v1/inference/', ['fraud'], ''],
    ['/api/v1/inference/fraud/batch?mode=async', '/api/v1/inference/', ['fraud', 'batch'], 'mode=async'],
    ['/api/v1/inference/a%20b/', '/api/v1/inference/', ['a b'], ''],
    ['/api/v1/inference/%E0%A4%A', '/api/v1/inference/', null, ''],
    ['/v2/models/m/versions/1.0.0/infer', '/v2/', ['models', 'm', 'versions', '1.0.0', 'infer'], ''],
  ])('%s', (url, prefix, parts, query) => {
    const r = splitAfter(url, prefix);
    if (parts === null) expect(r).toBeNull();
    else expect(r).toEqual({ parts, query });
  });
});
