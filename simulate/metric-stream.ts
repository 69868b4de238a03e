/**
 * Synthetic metric streams: one minute at a time, counts per version as the gateways' metric
 * buckets would hold them, summed into the analysis's MetricWindow over any range of minutes.
 */
import type { MetricWindow } from '../domain/deployments/analysis';
import { emptyHistogram, HISTOGRAM_SIZE, percentileFromHistogram } from '../domain/metrics/histogram';
import { bucketLatencyMs } from '../domain/decisions/latency-distribution-test';
import { logNormalBuckets, type Random } from './random';
import type { Scenario, VersionBehaviour } from './scenarios';

interface Minute {
  requests: number;
  errors: number;
  hist: number[];
  labelled: number;
  correct: number;
}

const emptyMinute = (): Minute => ({ requests: 0, errors: 0, hist: emptyHistogram(), labelled: 0, correct: 0 });

class Arm {
  readonly minutes: Minute[] = [];
  private readonly buckets: number[];
  constructor(private readonly behaviour: VersionBehaviour) {
    this.buckets = logNormalBuckets(behaviour.medianLatencyMs, behaviour.latencySigma);
  }
  at(t: number): Minute {
    while (this.minutes.length <= t) this.minutes.push(emptyMinute());
    return this.minutes[t];
  }
  /** Serves `requests` in minute t: server errors, and the latency histogram of the rest. */
  serve(rng: Random, t: number, requests: number): void {
    const m = this.at(t);
    const errors = rng.binomial(requests, this.behaviour.errorRate);
    m.requests += requests;
    m.errors += errors;
    const hist = rng.multinomial(requests - errors, this.buckets);
    for (let i = 0; i < HISTOGRAM_SIZE; i++) m.hist[i] += hist[i];
  }
  /** Labels arriving in minute t for `predictions` made earlier (the metric store counts feedback when it arrives). */
  label(rng: Random, t: number, predictions: number, labelRate: number, accuracy: number): void {
    const m = this.at(t);
    const labelled = rng.binomial(predictions, labelRate);
    m.labelled += labelled;
    m.correct += rng.binomial(labelled, Math.min(1, Math.max(0, accuracy)));
  }
  /** The MetricWindow of minutes [from, to). */
  window(from: number, to: number): MetricWindow {
    const hist = emptyHistogram();
    let requests = 0;
    let errors = 0;
    let labelled = 0;
    let correct = 0;
    for (let t = Math.max(0, from); t < to; t++) {
      const m = this.at(t);
      requests += m.requests;
      errors += m.errors;
      labelled += m.labelled;
      correct += m.correct;
      for (let i = 0; i < HISTOGRAM_SIZE; i++) hist[i] += m.hist[i];
    }
    let n = 0;
    let sum = 0;
    let sq = 0;
    hist.forEach((c, i) => {
      const x = bucketLatencyMs(i);
      n += c;
      sum += c * x;
      sq += c * x * x;
    });
    const mean = n > 0 ? sum / n : 0;
    return {
      requests,
      errors,
      p99LatencyMs: percentileFromHistogram(hist, 0.99) ?? 0,
      meanLatencyMs: mean,
      latencyStdDevMs: n > 1 ? Math.sqrt(Math.max(0, (sq - n * mean * mean) / (n - 1))) : 0,
      labelled,
      correct,
      latencyHistogram: hist,
    };
  }
}

/** Both versions' streams for one rollout of a scenario. */
export class MetricStream {
  private readonly control: Arm;
  private readonly candidate: Arm;
  private minutes = 0;
  constructor(private readonly s: Scenario, private readonly rng: Random) {
    this.control = new Arm(s.control);
    this.candidate = new Arm(s.candidate);
  }

  /** Advances one minute with `candidateWeight` % of traffic on the candidate. */
  advance(candidateWeight: number): void {
    const t = this.minutes++;
    const burst = this.s.bursty ? (this.rng.uniform() < 0.2 ? 4 : 0.25) : 1; // mean 0.2·4 + 0.8·0.25 = 1
    const total = this.rng.poisson(this.s.requestsPerSecond * 60 * burst);
    const onCandidate = this.rng.binomial(total, candidateWeight / 100);
    const shift = this.s.drift && t >= this.s.drift.fromMinute ? this.s.drift.accuracy : 0;
    const serve = (arm: Arm, behaviour: VersionBehaviour, n: number) => {
      arm.serve(this.rng, t, n);
      arm.label(this.rng, t + this.s.labelDelayMin, n, this.s.labelRate, behaviour.accuracy - shift);
    };
    serve(this.candidate, this.s.candidate, onCandidate);
    serve(this.control, this.s.control, total - onCandidate);
  }

  get now(): number {
    return this.minutes;
  }

  windows(from: number, to: number): { stable: MetricWindow; candidate: MetricWindow } {
    return { stable: this.control.window(from, to), candidate: this.candidate.window(from, to) };
  }
}
