/**
 * The measured validation gates (FR-ML-005): latency, accuracy, memory and bias, each a pure
 * judgement of what the validation activity measured (./measurement.ts) against the deployment's
 * thresholds (./gate-thresholds.ts). "Could not measure" (NotMeasured) is kept apart from
 * "measured bad" (Failed): only Failed blocks a deployment, and only Failed can be overridden.
 */
import { matchClass, sameLabel } from '../metrics/quality';
import type { ValidationCheck } from '../deployments/deployment-status';
import type { ValidationGates } from './gate-thresholds';
import type { CandidateMeasurement, HoldoutRow, Label } from './measurement';

export const MEASURED_GATES = ['latency', 'accuracy', 'memory', 'bias'] as const;
export type MeasuredGate = (typeof MEASURED_GATES)[number];

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

const notMeasured = (name: MeasuredGate, message: string, measured: Record<string, number> = {}): ValidationCheck => ({ name, passed: true, outcome: 'NotMeasured', message, measured });
const verdict = (name: MeasuredGate, passed: boolean, message: string, measured: Record<string, number>): ValidationCheck =>
  passed ? { name, passed, outcome: 'Passed', message, measured } : { name, passed, outcome: 'Failed', message, measured, overridable: true };

/** The q-quantile, linear between order statistics (numpy's default). Example: quantile([1, 2, 3, 4, 5], 0.25) === 2. */
export function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return lo + 1 < s.length ? s[lo] + (s[lo + 1] - s[lo]) * (pos - lo) : s[lo];
}

/**
 * Which latency the gate compares: the lower quartile of the timed requests. Why not the median:
 * on a busy machine (2 cores, load ≈ 19) the server-side medians of fraud-detection 1.0.0 and
 * 2.0.0, whose compute differs by 0.05 ms, came out 2.69 and 1.89 ms — contention, not the model.
 * The lower quartile is what a request meets when the server is not interrupted, yet not one lucky sample.
 */
export const LATENCY_QUANTILE = 0.25;

/**
 * Latency: the candidate's lower-quartile server-side single-row latency must stay within
 * max(reference × latencyIncrease, reference + latencyMinIncreaseMs), the reference being the
 * stable version timed on the same server, interleaved with the candidate. Without a stable
 * version there is nothing measured the same way to compare with (a declared
 * `baseline.inferenceLatencyMs` was timed in another runtime, without the server's work), so the
 * gate is NotMeasured and shows the declared figure.
 * Example: stable 0.2 ms, candidate 1.4 ms, 1.2 and 0.5 ms → limit max(0.24, 0.7) = 0.7 ms → Failed.
 */
export function assessLatency(m: CandidateMeasurement, t: Pick<ValidationGates, 'latencyIncrease' | 'latencyMinIncreaseMs'>): ValidationCheck {
  if (t.latencyIncrease === null) return notMeasured('latency', 'not checked (latencyIncrease: null)');
  if (m.notMeasured) return notMeasured('latency', `not measured: ${m.notMeasured}`);
  if (m.latencyMs.candidate.length === 0) return notMeasured('latency', 'not measured: the candidate answered no timed request');
  const candidate = quantile(m.latencyMs.candidate, LATENCY_QUANTILE);
  const declared = m.declared.stable?.inferenceLatencyMs ?? m.declared.candidate.inferenceLatencyMs;
  const measured: Record<string, number> = { candidateMs: round(candidate), candidateSamples: m.latencyMs.candidate.length };
  if (declared !== null) measured.declaredBaselineMs = declared;
  if (m.latencyMs.stable.length === 0)
    return notMeasured('latency', `no stable version timed on ${m.server} to compare with; candidate ${round(candidate, 3)} ms (lower quartile)${declared !== null ? ` (declared baseline ${declared} ms, timed elsewhere)` : ''}`, measured);
  const reference = quantile(m.latencyMs.stable, LATENCY_QUANTILE);
  const limit = Math.max(reference * t.latencyIncrease, reference + t.latencyMinIncreaseMs);
  Object.assign(measured, { referenceMs: round(reference), referenceSamples: m.latencyMs.stable.length, limitMs: round(limit) });
  const text = `candidate ${round(candidate, 3)} ms vs stable ${round(reference, 3)} ms on ${m.server} (lower quartiles of ${m.latencyMs.candidate.length} timed rows) (limit ${round(limit, 3)} ms: ×${t.latencyIncrease} or +${t.latencyMinIncreaseMs} ms)`;
  return verdict('latency', candidate <= limit, text, measured);
}

const correctCount = (rows: readonly HoldoutRow[], who: 'candidate' | 'stable') => rows.filter((r) => r[who] !== null && sameLabel(r[who], r.label)).length;

/**
 * Accuracy on the candidate's labelled holdout sample must be ≥ reference × (1 − accuracyTolerance).
 * The reference is, first found: the stable version's accuracy on the same rows on the same
 * server; the stable version's declared `baseline.accuracy`; the candidate's own declared one.
 * Example: candidate 177/500 = 35.4 %, stable 422/500 = 84.4 %, tolerance 0.05 → limit 80.2 % → Failed.
 */
export function assessAccuracy(m: CandidateMeasurement, t: Pick<ValidationGates, 'accuracyTolerance'>): ValidationCheck {
  if (t.accuracyTolerance === null) return notMeasured('accuracy', 'not checked (accuracyTolerance: null)');
  if (m.notMeasured) return notMeasured('accuracy', `not measured: ${m.notMeasured}`);
  if (m.rows.length === 0) return notMeasured('accuracy', 'not measured: the version has no labelled holdout sample (samples.json with labels)');
  const accuracy = correctCount(m.rows, 'candidate') / m.rows.length;
  const answeredByStable = m.rows.filter((r) => r.stable !== null);
  let reference: number;
  let source: string;
  if (m.stableMeasured && answeredByStable.length > 0) {
    reference = correctCount(answeredByStable, 'stable') / answeredByStable.length;
    source = `the stable version on the same ${answeredByStable.length} rows`;
  } else if (m.declared.stable?.accuracy != null) {
    reference = m.declared.stable.accuracy;
    source = "the stable version's declared baseline";
  } else if (m.declared.candidate.accuracy !== null) {
    reference = m.declared.candidate.accuracy;
    source = "the candidate's declared baseline";
  } else {
    return notMeasured('accuracy', `holdout accuracy ${pct(accuracy)} on ${m.rows.length} rows; no baseline to compare with`, { accuracy: round(accuracy), samples: m.rows.length });
  }
  const limit = reference * (1 - t.accuracyTolerance);
  const measured = { accuracy: round(accuracy), samples: m.rows.length, referenceAccuracy: round(reference), limit: round(limit) };
  return verdict('accuracy', accuracy >= limit, `holdout accuracy ${pct(accuracy)} on ${m.rows.length} rows vs ${pct(reference)} (${source}); limit ${pct(limit)}`, measured);
}

/**
 * Memory: the candidate's measured memory must fit, on every server of the pool that reports a
 * budget, next to what that server already holds (the stable version included: both are loaded
 * during a rollout). Example: 12 MiB candidate, a server with 100 MiB budget and 95 MiB in use → Failed.
 */
export function assessMemory(m: CandidateMeasurement, t: Pick<ValidationGates, 'memory'>): ValidationCheck {
  if (!t.memory) return notMeasured('memory', 'not checked (memory: false)');
  if (m.notMeasured) return notMeasured('memory', `not measured: ${m.notMeasured}`);
  if (m.candidateMemoryBytes === null) return notMeasured('memory', 'not measured: the server reported no memory for the candidate');
  const need = m.candidateMemoryBytes;
  const budgeted = m.pool.filter((s) => s.budgetBytes !== null && s.budgetBytes > 0);
  if (budgeted.length === 0) return notMeasured('memory', `candidate takes ${mib(need)}; no server of the pool reports a memory budget`, { candidateBytes: need });
  const headroom = Math.min(...budgeted.map((s) => s.budgetBytes! - s.inUseBytes));
  const short = budgeted.filter((s) => need > s.budgetBytes! - s.inUseBytes);
  const measured = { candidateBytes: need, minHeadroomBytes: headroom, servers: budgeted.length };
  if (short.length === 0) return verdict('memory', true, `candidate takes ${mib(need)}; fits on all ${budgeted.length} server(s) of the pool (least headroom ${mib(headroom)})`, measured);
  const detail = short.map((s) => `${s.server}: ${mib(s.inUseBytes)} of ${mib(s.budgetBytes!)} in use`).join(', ');
  return verdict('memory', false, `candidate takes ${mib(need)} and does not fit the memory budget of ${detail}`, measured);
}

export interface GroupStats {
  attribute: string;
  group: string;
  samples: number;
  accuracy: number;
  positiveRate: number;
}

/**
 * Per-group accuracy and positive rate of the candidate on the holdout rows, for groups with at
 * least `minGroupSamples` rows. Example: 30 rows of group "true" of which 12 answered the
 * positive class → positiveRate 0.4.
 */
export function groupStats(rows: readonly HoldoutRow[], attribute: string, positiveClass: Label, minGroupSamples: number): GroupStats[] {
  const byGroup = new Map<string, HoldoutRow[]>();
  for (const r of rows) {
    const g = r.groups[attribute];
    if (g === undefined) continue;
    byGroup.set(g, [...(byGroup.get(g) ?? []), r]);
  }
  return [...byGroup.entries()]
    .filter(([, rs]) => rs.length >= minGroupSamples)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([group, rs]) => ({
      attribute,
      group,
      samples: rs.length,
      accuracy: correctCount(rs, 'candidate') / rs.length,
      positiveRate: rs.filter((r) => r.candidate !== null && sameLabel(r.candidate, positiveClass)).length / rs.length,
    }));
}

/**
 * Bias, for versions that declare sensitive attributes: for each attribute, across its groups on
 * the holdout sample, the accuracy gap (best − worst) must be ≤ maxAccuracyGap and the positive
 * rate ratio (lowest / highest) ≥ minPositiveRateRatio. An attribute with fewer than two groups of
 * minGroupSamples rows cannot be judged (NotMeasured when none can).
 * Example: positive rates 0.05 (domestic) and 0.30 (international) → ratio 0.17 < 0.8 → Failed.
 */
export function assessBias(m: CandidateMeasurement, t: Pick<ValidationGates, 'bias'>): ValidationCheck {
  if (t.bias === null) return notMeasured('bias', 'not checked (bias: null)');
  if (!m.fairness || m.fairness.sensitiveAttributes.length === 0) return notMeasured('bias', 'not applicable: the version declares no sensitive attributes');
  if (m.notMeasured) return notMeasured('bias', `not measured: ${m.notMeasured}`);
  if (m.rows.length === 0) return notMeasured('bias', 'not measured: the version has no labelled holdout sample');
  const limits = t.bias;
  const problems: string[] = [];
  const seen: string[] = [];
  const measured: Record<string, number> = {};
  for (const attribute of m.fairness.sensitiveAttributes) {
    const groups = groupStats(m.rows, attribute, m.fairness.positiveClass, limits.minGroupSamples);
    if (groups.length < 2) continue;
    const accs = groups.map((g) => g.accuracy);
    const rates = groups.map((g) => g.positiveRate);
    const gap = Math.max(...accs) - Math.min(...accs);
    const top = Math.max(...rates);
    const parity = top === 0 ? 1 : Math.min(...rates) / top;
    measured[`${attribute}.accuracyGap`] = round(gap);
    measured[`${attribute}.positiveRateRatio`] = round(parity);
    const shown = groups.map((g) => `${g.group} (${g.samples}): accuracy ${pct(g.accuracy)}, positive ${pct(g.positiveRate)}`).join('; ');
    seen.push(`${attribute}: ${shown}`);
    if (gap > limits.maxAccuracyGap) problems.push(`${attribute}: accuracy gap ${pct(gap)} > ${pct(limits.maxAccuracyGap)}`);
    if (parity < limits.minPositiveRateRatio) problems.push(`${attribute}: positive-rate ratio ${round(parity, 3)} < ${limits.minPositiveRateRatio}`);
  }
  if (seen.length === 0) return notMeasured('bias', `not measured: no sensitive attribute has two groups of ${limits.minGroupSamples}+ holdout rows`);
  const positive = `positive class ${String(m.fairness.positiveClass)}`;
  return problems.length === 0
    ? verdict('bias', true, `${positive}; ${seen.join(' | ')}`, measured)
    : verdict('bias', false, `${problems.join('; ')} (${positive}; ${seen.join(' | ')})`, measured);
}

/** Every measured gate's verdict, in MEASURED_GATES order. */
export function assessMeasuredGates(m: CandidateMeasurement, t: ValidationGates): ValidationCheck[] {
  return [assessLatency(m, t), assessAccuracy(m, t), assessMemory(m, t), assessBias(m, t)];
}

/**
 * The class counted as "positive" for parity: the declared one, else the last class (binary
 * models list the negative class first, e.g. [legit, fraud] → fraud). Null without classes.
 */
export function positiveClassOf(classes: readonly Label[] | null, declared: Label | undefined): Label | null {
  if (declared !== undefined) return classes ? (matchClass(declared, classes) ?? declared) : declared;
  return classes && classes.length > 0 ? classes[classes.length - 1] : null;
}
