import Table from 'cli-table3';

/**
 * A borderless table (header row, then one row per item) as lines.
 * Example: table(['a', 'b'], [['1', '22']]) → ['a  b', '1  22'] (columns padded).
 */
export function table(head: string[], rows: (string | number)[][]): string[] {
  const t = new Table({
    head,
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
      left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  t.push(...rows.map((r) => r.map(String)));
  return t.toString().split('\n').map((l) => l.trimEnd());
}

/** "key: value" lines of the scalar fields named, in order; absent and null values are skipped. */
export function fields(record: Record<string, unknown>, keys: string[]): string[] {
  return keys.filter((k) => record[k] !== undefined && record[k] !== null).map((k) => `${k}: ${scalar(record[k])}`);
}

export function scalar(v: unknown): string {
  if (Array.isArray(v)) return v.length > 0 ? v.map(scalar).join(', ') : '-';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return v === null || v === undefined ? '-' : JSON.stringify(v);
}
