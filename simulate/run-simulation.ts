/**
 * `npm run simulate`: seeded rollouts per scenario through the real decision code, today's
 * rules and the anytime-valid rules side by side, with PASS/FAIL per floor.
 *
 *   npm run simulate                       # 1,000 rollouts per scenario, seed 1
 *   npm run simulate -- --rollouts 200 --seed 7 --markdown
 */
import { BASELINE, SCENARIOS, type Scenario } from './scenarios';
import { MetricStream } from './metric-stream';
import { Random } from './random';
import { simulateAbTest } from './ab-looks';
import { simulateRollout, type CanarySettings, type Outcome, type RuleSet } from './rollout';

function argument(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
  return v;
}

const ROLLOUTS = argument('rollouts', 1000);
const SEED = argument('seed', 1);
const MARKDOWN = process.argv.includes('--markdown');

/** The canary the workflow tests use: 10 % → 50 % → 90 %, 5-minute windows, the default thresholds and minimums. */
export const CANARY: CanarySettings = {
  initialPercentage: 10,
  incrementStep: 40,
  monitoringMinutes: 5,
  maxInconclusiveExtensions: 2,
  thresholds: { accuracyDrop: 0.05, latencyIncrease: 1.5, errorRateIncrease: 0.01 },
  minSamples: { requests: 100, labelled: 50 },
};
const FALSE_ROLLBACK_FLOOR = 0.01;
const DETECTION_FLOOR = 0.99;
/** Why a look every 2 minutes: each look of the A/B test's alpha-spending recursion costs ~20 ms; 7 looks per run keep the whole run within a few minutes. */
const AB = { minimumSamples: 20_000, significanceLevel: 0.05, durationMinutes: 40, lookEveryMinutes: 2 };

interface Tally {
  counts: Record<Outcome, number>;
  minutes: number[];
}

function run(s: Scenario, rules: RuleSet, seedOffset: number): Tally {
  const tally: Tally = { counts: { promoted: 0, 'rolled-back': 0, 'rolled-back-inconclusive': 0, held: 0 }, minutes: [] };
  for (let i = 0; i < ROLLOUTS; i++) {
    // Same seed for both rule sets: they judge the same synthetic traffic.
    const rng = new Random(SEED * 1_000_003 + seedOffset * 10_007 + i);
    const r = simulateRollout(new MetricStream(s, rng), rules, { ...CANARY, ...s.canary });
    tally.counts[r.outcome] += 1;
    tally.minutes.push(r.minutes);
  }
  return tally;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

interface Row {
  scenario: string;
  rules: RuleSet;
  promoted: string;
  rolledBack: string;
  undecided: string;
  measure: string;
  medianMinutes: number;
  floor: string;
}

function rows(): { rows: Row[]; failures: number } {
  const out: Row[] = [];
  let failures = 0;
  SCENARIOS.forEach((s, k) => {
    for (const rules of ['legacy', 'anytime-valid'] as const) {
      const t = run(s, rules, k);
      const rolledBack = t.counts['rolled-back'] + t.counts['rolled-back-inconclusive'];
      const undecided = rules === 'legacy' ? t.counts['rolled-back-inconclusive'] : t.counts.held;
      const rate = (s.degraded ? t.counts['rolled-back'] : rolledBack) / ROLLOUTS;
      const pass = s.degraded ? rate >= DETECTION_FLOOR : rate <= FALSE_ROLLBACK_FLOOR;
      if (rules === 'anytime-valid' && !pass) failures += 1;
      out.push({
        scenario: s.name,
        rules,
        promoted: pct(t.counts.promoted / ROLLOUTS),
        rolledBack: pct(rolledBack / ROLLOUTS),
        undecided: `${pct(undecided / ROLLOUTS)} ${rules === 'legacy' ? '(rolled back as inconclusive)' : '(held for a person)'}`,
        measure: `${s.degraded ? 'detection' : 'false rollback'} ${pct(rate)}`,
        medianMinutes: median(t.minutes),
        floor: `${pass ? 'PASS' : 'FAIL'} (${s.degraded ? `≥ ${pct(DETECTION_FLOOR)}` : `≤ ${pct(FALSE_ROLLBACK_FLOOR)}`})${rules === 'legacy' ? ' [reference]' : ''}`,
      });
    }
  });
  return { rows: out, failures };
}

function abRow(): { line: string; pass: boolean } {
  let sequential = 0;
  let naive = 0;
  const healthy: Scenario = { ...SCENARIOS[0], name: 'A/B identical versions' };
  for (let i = 0; i < ROLLOUTS; i++) {
    const r = simulateAbTest(new MetricStream(healthy, new Random(SEED * 7_777_777 + i)), AB);
    if (r.sequential) sequential++;
    if (r.naive) naive++;
  }
  const pass = sequential / ROLLOUTS <= AB.significanceLevel;
  return {
    line: `A/B, identical versions, a look every ${AB.lookEveryMinutes} min for ${AB.durationMinutes} min (minimumSamples ${AB.minimumSamples}, α = ${AB.significanceLevel}): false positives with alpha spending ${pct(sequential / ROLLOUTS)} — ${pass ? 'PASS' : 'FAIL'} (≤ ${pct(AB.significanceLevel)}); uncorrected z-test at every look ${pct(naive / ROLLOUTS)} [reference]`,
    pass,
  };
}

function main(): void {
  const started = Date.now();
  const { rows: table, failures } = rows();
  const ab = abRow();
  const header = ['scenario', 'rules', 'promoted', 'rolled back', 'undecided at the end', 'rate', 'median min to decision', 'floor'];
  const cells = table.map((r) => [r.scenario, r.rules, r.promoted, r.rolledBack, r.undecided, r.measure, String(r.medianMinutes), r.floor]);
  console.log(`Simulated ${ROLLOUTS} canary rollouts per scenario and rule set (seed ${SEED}); canary 10 % → 50 % → 90 %, ${CANARY.monitoringMinutes}-min windows, ≤ ${CANARY.maxInconclusiveExtensions} extensions; baseline error ${pct(BASELINE.errorRate)}, accuracy ${pct(BASELINE.accuracy)}, latency median ${BASELINE.medianLatencyMs} ms; 100 req/s and half the predictions labelled unless the scenario says otherwise.`);
  if (MARKDOWN) {
    console.log(`\n| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
    for (const c of cells) console.log(`| ${c.join(' | ')} |`);
  } else {
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
    const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i])).join('  ');
    console.log(`\n${line(header)}`);
    for (const c of cells) console.log(line(c));
  }
  console.log(`\n${ab.line}`);
  const failed = failures + (ab.pass ? 0 : 1);
  console.log(`\n${failed === 0 ? 'ALL FLOORS PASS' : `${failed} FLOOR(S) FAIL`} for the anytime-valid rules (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main();
