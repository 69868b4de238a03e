import pc from 'picocolors';

export type Colors = ReturnType<typeof pc.createColors>;

/** Colours on a terminal that wants them (NO_COLOR and --no-color turn them off). */
export function colorsFor(enabled: boolean): Colors {
  return pc.createColors(enabled);
}
