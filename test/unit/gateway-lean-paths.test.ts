import { isLeanRequest, leanRoute } from '../../api/gateway/lean-paths';
import { startRequestSpan } from '../../infra/telemetry/tracing';

describe('leanRoute', () => {
  it.each([
    ['POST', '/api/v1/inference/fraud-detection', { kind: 'native', modelName: 'fraud-detection', native: 'single', query: '' }],
    ['POST', '/api/v1/inference/fraud%20x/batch?mode=async', { kind: 'native', modelName: 'fraud x', native: 'batch', query: 'mode=async' }],
    ['GET', '/api/v1/inference/req-1/status', { kind: 'status', id: 'req-1' }],
    ['GET', '/v2', { kind: 'v2', parts: [], query: '' }],
    ['POST', '/v2/models/m/infer', { kind: 'v2', parts: ['models', 'm', 'infer'], query: '' }],
    ['GET', '/v2/models/%E0%A4%A', { kind: 'v2', parts: null, query: '' }],
  ])('%s %s is the gateway’s', (method, url, route) => {
    expect(leanRoute(method, url)).toEqual(route);
    expect(isLeanRequest(method, url)).toBe(true);
  });

  it.each([
    ['GET', '/api/v1/inference/fraud-detection'],
    ['POST', '/api/v1/inference/fraud-detection/feedback'],
    ['POST', '/api/v1/inference/%E0%A4%A/batch'],
    ['GET', '/api/v1/models'],
    ['GET', '/v2x'],
    ['GET', '/health'],
  ])('%s %s is left to Express (and to the HTTP instrumentation)', (method, url) => {
    expect(leanRoute(method, url)).toBeNull();
    expect(isLeanRequest(method, url)).toBe(false);
  });
});

describe('startRequestSpan without telemetry started', () => {
  it('passes the caller’s trace context through unchanged', () => {
    const span = startRequestSpan('POST /api/v1/inference/{model}', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    expect(span.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(span.traceparent).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    span.end(200);
  });

  it('has no ids without a valid traceparent', () => {
    for (const header of [undefined, 'garbage', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01']) {
      const span = startRequestSpan('x', header);
      expect(span.traceId).toBeUndefined();
      expect(span.traceparent).toBeUndefined();
      span.end(200);
    }
  });
});
