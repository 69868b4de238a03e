/**
 * A bar of `width` cells, `percentage` of them full.
 * Example: trafficBar(25, 8) === '██░░░░░░' (25 % of 8 cells, rounded).
 */
export function trafficBar(percentage: number, width: number): string {
  const p = Math.min(100, Math.max(0, percentage));
  const full = Math.round((p / 100) * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}
