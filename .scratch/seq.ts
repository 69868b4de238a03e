import { groupSequentialBoundaries } from '../domain/statistics/sequential';
import fx from '../test/fixtures/statistics/sequential.json';
for (const b of fx.boundaries) {
  const t0 = Date.now();
  const looks = groupSequentialBoundaries(b.fractions, b.alpha, b.spending as any);
  console.log(b.spending, looks.map((l) => l.boundary.toFixed(5)).join(' '), '| scipy', b.boundaries.map((x) => x.toFixed(5)).join(' '), Date.now() - t0, 'ms');
}
