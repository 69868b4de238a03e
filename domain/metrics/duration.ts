/**
 * ISO-8601 durations for metric windows: PnW, or PnDTnHnMnS with any of the parts (seconds
 * may have a fraction). Years and months are rejected: their length depends on the calendar.
 * Examples: "PT1H" → 3600 s, "P1DT12H" → 129600 s, "PT0.5S" → 0.5 s, "P1W" → 604800 s.
 */
const WEEKS = /^P(\d+)W$/;
const DAY_TIME = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

export type DurationParse = { ok: true; seconds: number } | { ok: false; reason: string };

export function parseIsoDuration(text: string): DurationParse {
  const weeks = WEEKS.exec(text);
  if (weeks) return { ok: true, seconds: Number(weeks[1]) * 7 * 86400 };
  const datePart = text.startsWith('P') ? text.slice(1).split('T')[0] : '';
  if (/\d[YM]/.test(datePart))
    return { ok: false, reason: 'years and months are not supported (their length varies); use days, e.g. P30D' };
  const m = DAY_TIME.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return { ok: false, reason: 'must be an ISO-8601 duration such as PT15M, PT1H or P1D' };
  const [, d, h, min, s] = m;
  if (d === undefined && h === undefined && min === undefined && s === undefined) return { ok: false, reason: 'must be an ISO-8601 duration such as PT15M, PT1H or P1D' };
  const seconds = Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(min ?? 0) * 60 + Number(s ?? 0);
  return { ok: true, seconds };
}
