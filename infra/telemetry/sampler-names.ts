/** The standard OTEL_TRACES_SAMPLER values this platform supports (no OpenTelemetry import: the config schema uses it). */
export const TRACES_SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
export type TracesSamplerName = (typeof TRACES_SAMPLERS)[number];
