/**
 * ISO-8601 durations as the spec writes them ("PT5M", "P7D", "PT30M", "PT0.5S", "P1W").
 * Years and months are rejected: they have no fixed length, and a deployment step must.
 */
const PATTERN = /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;
const UNIT_MS = [7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000];

/**
 * Milliseconds of an ISO-8601 duration, or null when it is not one we accept.
 * Examples: parseIsoDuration('PT5M') === 300000; parseIsoDuration('P1DT2H') === 93600000;
 * parseIsoDuration('PT0.25S') === 250; parseIsoDuration('P1M') === null (months vary).
 */
export function parseIsoDuration(text: string): number | null {
  if (text === 'P' || text.endsWith('T')) return null;
  const match = PATTERN.exec(text);
  if (!match) return null;
  let ms = 0;
  for (let i = 0; i < UNIT_MS.length; i++) {
    const part = match[i + 1];
    if (part !== undefined) ms += Number(part) * UNIT_MS[i];
  }
  return Math.round(ms);
}

/** Like parseIsoDuration but throws on bad input (for values already validated by the schemas). */
export function durationMs(text: string): number {
  const ms = parseIsoDuration(text);
  if (ms === null) throw new RangeError(`not an ISO-8601 duration of days, hours, minutes or seconds: ${text}`);
  return ms;
}

/**
 * The shortest ISO-8601 form of a millisecond count. Example: formatIsoDuration(93600000) === 'P1DT2H';
 * formatIsoDuration(1500) === 'PT1.5S'; formatIsoDuration(0) === 'PT0S'.
 */
export function formatIsoDuration(ms: number): string {
  if (ms <= 0) return 'PT0S';
  const days = Math.floor(ms / 86_400_000);
  let rest = ms - days * 86_400_000;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = rest / 1000;
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${seconds ? `${seconds}S` : ''}`;
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}
