/** Small pure formatters for the pages. */

/** "12:03:04" from an ISO time (UTC, like the API). */
export const clock = (iso: string | null | undefined): string => (iso ? iso.slice(11, 19) : '—');

/** "2026-12-07 12:03" from an ISO time. */
export const when = (iso: string | null | undefined): string => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : '—');

/** Numbers as people read them: "0.0123", "12.5", "—" for null. */
export function num(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(digits)));
}

export const percent = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : `${num(v * 100, 2)} %`);

/** A CSS class per status: good, bad or moving. */
export function statusClass(status: string): string {
  if (status === 'Active') return 'good';
  if (['Failed', 'RolledBack', 'Cancelled'].includes(status)) return 'bad';
  if (status === 'Superseded') return 'muted';
  return 'moving';
}
