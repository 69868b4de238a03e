import { AppError } from '../../domain/errors';
import {
  artifactKeyProblem,
  assertArtifactKey,
  MAX_KEY_LENGTH,
  MAX_SEGMENT_LENGTH,
  MAX_SEGMENTS,
  modelArtifactKey,
} from '../../infra/artifact-store/artifact-key';

describe('artifactKeyProblem', () => {
  it.each([
    'models/iris/1.0.0/model.onnx',
    'models/iris-classifier_v2/2.10.3-rc.1/model.onnx',
    'a',
    'a..b/c...d', // dots inside a segment are harmless
    'x'.repeat(MAX_SEGMENT_LENGTH),
    Array.from({ length: MAX_SEGMENTS }, () => 'a').join('/'),
    'models/tmp/x', // only the top-level tmp/ is reserved
  ])('accepts %j', (key) => {
    expect(artifactKeyProblem(key)).toBeNull();
  });

  it.each<[string, unknown, RegExp]>([
    ['parent segment', '../x', /"\.\."/],
    ['parent segment after descending', 'a/../../b', /"\.\."/],
    ['trailing parent segment', 'a/..', /"\.\."/],
    ['current-directory segment', 'a/./b', /"\."/],
    ['absolute path', '/etc/passwd', /relative/],
    ['backslash', 'a\\b', /backslash/],
    ['Windows traversal', '..\\..\\windows', /backslash/],
    // Keys are never percent-decoded; "%" is simply outside the charset, so the encoded form cannot sneak through.
    ['percent-encoded parent', '%2e%2e/x', /letters, digits/],
    ['NUL byte', 'models/a\0.onnx', /NUL/],
    ['empty key', '', /empty/],
    ['double slash', 'a//b', /empty segments/],
    ['trailing slash', 'a/b/', /empty segments/],
    ['too long overall', `${'a/'.repeat(10)}${'x'.repeat(MAX_KEY_LENGTH)}`, /at most 1024/],
    ['too long segment', 'x'.repeat(MAX_SEGMENT_LENGTH + 1), /at most 255/],
    ['too deep', Array.from({ length: MAX_SEGMENTS + 1 }, () => 'a').join('/'), /segments/],
    ['space', 'models/my model', /letters, digits/],
    ['colon (drive letter, URL scheme)', 'C:/x', /letters, digits/],
    ['non-ASCII', 'models/modèle', /letters, digits/],
    ['hidden file', 'models/.env', /temporary/],
    ['fs temp name', 'models/a/.tmp-1234', /temporary/],
    ['S3 temp prefix', 'tmp/1234', /reserved/],
    ['not a string', 42, /string/],
  ])('rejects %s', (_name, key, message) => {
    expect(artifactKeyProblem(key)).toMatch(message);
  });
});

describe('assertArtifactKey', () => {
  it('returns a valid key unchanged', () => {
    expect(assertArtifactKey('models/a/1/model.onnx')).toBe('models/a/1/model.onnx');
  });

  it('throws VALIDATION_ERROR naming the field', () => {
    const err = catchError(() => assertArtifactKey('../x', 'artifactPath'));
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'VALIDATION_ERROR', status: 400, details: [{ field: 'artifactPath' }] });
  });

  it('defaults the field to artifactKey', () => {
    expect(catchError(() => assertArtifactKey(''))).toMatchObject({ details: [{ field: 'artifactKey' }] });
  });
});

describe('modelArtifactKey', () => {
  it('builds the conventional key', () => {
    expect(modelArtifactKey('iris', '1.2.3')).toBe('models/iris/1.2.3/model.onnx');
    expect(modelArtifactKey('iris', '1.2.3', 'labels.json')).toBe('models/iris/1.2.3/labels.json');
  });

  it('rejects names that would traverse', () => {
    expect(() => modelArtifactKey('..', '1.0.0')).toThrow(AppError);
    expect(() => modelArtifactKey('a/../../etc', '1.0.0')).toThrow(AppError);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}
