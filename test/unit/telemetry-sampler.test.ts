import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { createSampler, samplerName } from '../../infra/telemetry/sampler';
import { samplerFromEnv } from '../../infra/telemetry/tracing';
import { apiConfigSchema } from '../../infra/config/schemas';
import { parseEnv } from '../../infra/config/load';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const sampledParent = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED, isRemote: true });
const unsampledParent = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.NONE, isRemote: true });
const decide = (s: ReturnType<typeof createSampler>, ctx = ROOT_CONTEXT, traceId = TRACE) => s.shouldSample(ctx, traceId, 'span', SpanKind.SERVER, {}, []).decision;

describe('trace sampler', () => {
  it('defaults to parent-based: always on when exporting, off for root spans otherwise', () => {
    expect(samplerName({}, true)).toBe('parentbased_always_on');
    expect(samplerName({}, false)).toBe('parentbased_always_off');
    expect(samplerName({ name: 'always_on' }, false)).toBe('always_on');

    const exporting = createSampler({}, true);
    expect(decide(exporting)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide(exporting, unsampledParent)).toBe(SamplingDecision.NOT_RECORD);

    const quiet = createSampler({}, false);
    expect(decide(quiet)).toBe(SamplingDecision.NOT_RECORD);
    // A caller's sampled flag is honoured even when nothing is exported here.
    expect(decide(quiet, sampledParent)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });

  it('samples root traces by trace-id ratio and follows the parent otherwise', () => {
    const none = createSampler({ name: 'parentbased_traceidratio', ratio: 0 }, true);
    const all = createSampler({ name: 'parentbased_traceidratio', ratio: 1 }, true);
    expect(decide(none)).toBe(SamplingDecision.NOT_RECORD);
    expect(decide(all)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide(none, sampledParent)).toBe(SamplingDecision.RECORD_AND_SAMPLED);

    // About half of many random trace ids at 0.5.
    const half = createSampler({ name: 'traceidratio', ratio: 0.5 }, true);
    let sampled = 0;
    for (let i = 0; i < 2000; i++) {
      const id = Array.from({ length: 32 }, () => Math.floor(Math.random() * 16).toString(16)).join('');
      if (decide(half, ROOT_CONTEXT, id) === SamplingDecision.RECORD_AND_SAMPLED) sampled++;
    }
    expect(sampled).toBeGreaterThan(800);
    expect(sampled).toBeLessThan(1200);
    expect(decide(createSampler({ name: 'always_off' }, true), sampledParent)).toBe(SamplingDecision.NOT_RECORD);
  });

  it('refuses a ratio outside 0..1', () => {
    expect(() => createSampler({ name: 'traceidratio', ratio: 1.5 }, true)).toThrow(RangeError);
  });

  it('reads the standard environment variables, validated by the config schema', () => {
    expect(samplerFromEnv({})).toEqual({ name: undefined, ratio: undefined });
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' })).toEqual({ name: 'parentbased_traceidratio', ratio: 0.25 });
    const base = { MONGODB_URI: 'mongodb://localhost:27017', SERVICE_TOKEN: 'x'.repeat(24), JWT_SECRET: 'y'.repeat(48) };
    const ok = parseEnv(apiConfigSchema, { ...base, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' });
    expect(ok.OTEL_TRACES_SAMPLER).toBe('parentbased_traceidratio');
    expect(ok.OTEL_TRACES_SAMPLER_ARG).toBe(0.1);
    expect(() => parseEnv(apiConfigSchema, { ...base, OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow();
    expect(() => parseEnv(apiConfigSchema, { ...base, OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow();
  });
});
