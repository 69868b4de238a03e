/** The traffic split as one bar: stable on the left, the candidate on the right. */
import { html } from '../html';

export function TrafficSplit(props: { stable: string | null; candidate: string; candidatePercent: number; shadow: boolean }) {
  const c = props.candidatePercent;
  return html`<div class="traffic" data-candidate-percent=${c}>
    <div class="bar">
      ${props.stable && c < 100 && html`<span class="stable" style=${`width:${100 - c}%`}>${props.stable} ${100 - c} %</span>`}
      ${c > 0 && html`<span class="candidate" style=${`width:${c}%`}>${props.candidate} ${c} %${props.shadow ? ' (shadow)' : ''}</span>`}
      ${!props.stable && c === 0 && html`<span class="none">no traffic on ${props.candidate} yet</span>`}
    </div>
  </div>`;
}
