/** Runs steps one after another and keeps how long each took, e.g. for a shutdown log line. */
export interface TimedSteps {
  run<T>(name: string, step: () => Promise<T>): Promise<T>;
  /** Milliseconds per step name, in the order they ran. */
  readonly ms: Record<string, number>;
}

export function timedSteps(): TimedSteps {
  const ms: Record<string, number> = {};
  return {
    ms,
    async run(name, step) {
      const t0 = performance.now();
      try {
        return await step();
      } finally {
        ms[name] = Math.round(performance.now() - t0);
      }
    },
  };
}
