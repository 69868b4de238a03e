import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler, type Sampler } from '@opentelemetry/sdk-trace-base';
import type { TracesSamplerName } from './sampler-names';

export { TRACES_SAMPLERS, type TracesSamplerName } from './sampler-names';

export interface SamplerSpec {
  /** OTEL_TRACES_SAMPLER; undefined = the default below. */
  name?: TracesSamplerName;
  /** OTEL_TRACES_SAMPLER_ARG: the ratio (0..1) of the *traceidratio samplers; 1 when absent. */
  ratio?: number;
}

/**
 * The sampler name a process uses: the configured one, else `parentbased_always_on` when spans
 * are exported (OpenTelemetry's own default: an operator who configured a collector gets complete
 * traces; lower it with `parentbased_traceidratio` + a ratio for high-rate inference) and
 * `parentbased_always_off` when nothing is exported (recording spans only to discard them would
 * cost CPU on every request; trace ids are still minted and propagated, and a caller's sampled
 * flag is still honoured and passed on).
 */
export function samplerName(spec: SamplerSpec, exporting: boolean): TracesSamplerName {
  return spec.name ?? (exporting ? 'parentbased_always_on' : 'parentbased_always_off');
}

/** Builds the sampler for `samplerName(spec, exporting)`. */
export function createSampler(spec: SamplerSpec, exporting: boolean): Sampler {
  const ratio = spec.ratio ?? 1;
  if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`OTEL_TRACES_SAMPLER_ARG must be within 0..1 (got ${ratio})`);
  switch (samplerName(spec, exporting)) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}
