import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError, ERROR_CATALOGUE } from '../../domain/errors';
import { errorBody } from '../../api/http/error-body';

it("contains the spec's codes with the spec's statuses", () => {
  const spec: Record<string, number> = {
    VALIDATION_ERROR: 400, SCHEMA_VALIDATION_ERROR: 400, UNAUTHORIZED: 401, FORBIDDEN: 403, MODEL_NOT_FOUND: 404,
    CONFLICT: 409, RATE_LIMIT_EXCEEDED: 429, INFERENCE_ERROR: 500, SERVICE_UNAVAILABLE: 503,
  };
  for (const [code, status] of Object.entries(spec)) expect(ERROR_CATALOGUE[code as keyof typeof ERROR_CATALOGUE].status).toBe(status);
});

it('is documented code by code in docs/ERRORS.md', () => {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'ERRORS.md'), 'utf8');
  for (const [code, { status }] of Object.entries(ERROR_CATALOGUE)) expect(doc).toMatch(new RegExp(`\\| ${status} \\| \`${code}\` \\|`));
});

it("renders the spec's error body", () => {
  const e = new AppError('CONFLICT', 'taken', [{ field: 'name', message: 'is already registered' }], { 'Retry-After': '3' });
  expect(errorBody(e, 'trace-1', new Date('2026-01-01T00:00:00Z'))).toEqual({
    error: { code: 'CONFLICT', message: 'taken', details: [{ field: 'name', message: 'is already registered' }], traceId: 'trace-1', timestamp: '2026-01-01T00:00:00.000Z' },
  });
  expect(e.status).toBe(409);
  expect(new AppError('MODEL_NOT_FOUND').message).toBe('Model does not exist');
});
