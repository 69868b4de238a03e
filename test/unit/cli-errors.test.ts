import { errorFromAnswer, queryString } from '../../cli/api-client';
import { ApiError, ApiUnreachableError, CliError, HINTS, UsageError, exitCodeOf, formatError } from '../../cli/errors';
import { ERROR_CATALOGUE } from '../../domain/errors';

it('has a hint for every code of the error catalogue, and no other', () => {
  expect(Object.keys(HINTS).sort()).toEqual(Object.keys(ERROR_CATALOGUE).sort());
});

it("turns the spec's error body into one line: message, code, what to do", () => {
  const e = errorFromAnswer(404, { error: { code: 'MODEL_NOT_FOUND', message: 'Model does not exist: nope', details: [], traceId: 't1' } }, '');
  expect(e).toBeInstanceOf(ApiError);
  expect(formatError(e)).toBe('error: Model does not exist: nope (MODEL_NOT_FOUND) — check the name with `hotswap models list`');
  expect(exitCodeOf(e)).toBe(1);
});

it('names the fields of a validation error once, and the trace id of an internal one', () => {
  const fieldsOnly = errorFromAnswer(400, { error: { code: 'VALIDATION_ERROR', message: 'Request validation failed', details: [{ field: 'reason', message: 'is required' }] } }, '');
  expect(formatError(fieldsOnly)).toBe('error: Request validation failed: reason is required (VALIDATION_ERROR) — fix the fields named and try again');
  const inMessage = errorFromAnswer(400, { error: { code: 'VALIDATION_ERROR', message: 'Invalid env: is required', details: [{ field: 'env', message: 'is required' }] } }, '');
  expect(formatError(inMessage)).toBe('error: Invalid env: is required (VALIDATION_ERROR) — fix the fields named and try again');
  const internal = errorFromAnswer(500, { error: { code: 'INTERNAL_ERROR', message: 'boom', details: [], traceId: 'abc123' } }, '');
  expect(formatError(internal)).toBe('error: boom (INTERNAL_ERROR) — see the api log for the trace id (abc123)');
});

it('keeps an unknown code, and says what an answer without the error body was', () => {
  expect(formatError(errorFromAnswer(418, { error: { code: 'TEAPOT', message: 'short and stout' } }, ''))).toBe('error: short and stout (TEAPOT) — see `hotswap --help`');
  const html = errorFromAnswer(502, '<html>\n<body>Bad gateway</body></html>', '<html>\n<body>Bad gateway</body></html>');
  expect(html).not.toBeInstanceOf(ApiError);
  expect(formatError(html)).toBe('error: the API answered HTTP 502: <html> <body>Bad gateway</body></html> — is --api the HotSwap API?');
});

it('says what to do when the API cannot be reached, and uses exit code 2 for usage', () => {
  expect(formatError(new ApiUnreachableError('http://localhost:8080', 'ECONNREFUSED'))).toBe(
    'error: cannot reach the API at http://localhost:8080 (ECONNREFUSED) — is `npm start` running? Point the CLI elsewhere with --api URL or HOTSWAP_API',
  );
  expect(exitCodeOf(new UsageError('bad'))).toBe(2);
  expect(exitCodeOf(new Error('x'))).toBe(1);
  expect(formatError(new Error('two\nlines'))).toBe('error: two lines');
  expect(formatError(new CliError('x', 'y'))).toBe('error: x — y');
  expect(formatError('plain')).toBe('error: plain');
});

it('builds a query string of the defined values', () => {
  expect(queryString({ a: 1, b: undefined, c: 'x y', d: true })).toBe('?a=1&c=x+y&d=true');
  expect(queryString({})).toBe('');
  expect(queryString(undefined)).toBe('');
});
