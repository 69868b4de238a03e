/** A small SVG line chart: candidate and stable over time, the threshold as a dashed line. */
import { html } from '../html';
import { num } from '../format';
import type { Point } from '../metric-series';

const W = 360;
const H = 120;
const PAD = 4;

function path(points: Point[], pick: (p: Point) => number | null, x: (at: number) => number, y: (v: number) => number): string {
  return points
    .filter((p) => pick(p) !== null)
    .map((p) => `${x(p.at).toFixed(1)},${y(pick(p)!).toFixed(1)}`)
    .join(' ');
}

export function MetricChart(props: { title: string; unit: string; points: Point[]; threshold: number | null }) {
  const { points, threshold } = props;
  const values = points.flatMap((p) => [p.candidate, p.stable]).filter((v): v is number => v !== null);
  const dataMax = Math.max(...values, 0);
  // A threshold far above the data would flatten it: then the data sets the scale and the threshold sits on the top edge.
  const offScale = threshold !== null && dataMax > 0 && threshold > 3 * dataMax;
  const max = Math.max(dataMax, threshold !== null && !offScale ? threshold : 0) * 1.1 || 1;
  const first = points[0]?.at ?? 0;
  const span = Math.max(1, (points[points.length - 1]?.at ?? 0) - first);
  const x = (at: number) => PAD + ((at - first) / span) * (W - 2 * PAD);
  const y = (v: number) => H - PAD - (v / max) * (H - 2 * PAD);
  const last = points[points.length - 1];
  const unit = props.unit ? ` ${props.unit}` : '';
  return html`<figure class="chart" data-metric=${props.title}>
    <figcaption>
      <b>${props.title}</b>
      <span class="candidate">candidate ${num(last?.candidate ?? null)}${unit}</span>
      <span class="stable">stable ${num(last?.stable ?? null)}${unit}</span>
      <span class="threshold">threshold ${threshold === null ? 'after the first analysis window' : `${num(threshold)}${unit}${offScale ? ' (above the scale)' : ''}`}</span>
    </figcaption>
    <svg viewBox="0 0 ${W} ${H}" role="img" aria-label=${`${props.title} chart`}>
      <rect x="0" y="0" width=${W} height=${H} class="plot" />
      ${threshold !== null && html`<line class=${offScale ? 'threshold off-scale' : 'threshold'} x1=${PAD} x2=${W - PAD} y1=${offScale ? PAD : y(threshold)} y2=${offScale ? PAD : y(threshold)} />`}
      <polyline class="stable" points=${path(points, (p) => p.stable, x, y)} />
      <polyline class="candidate" points=${path(points, (p) => p.candidate, x, y)} />
    </svg>
    <small>${points.length} samples, one per second, each over the last 5 minutes</small>
  </figure>`;
}
