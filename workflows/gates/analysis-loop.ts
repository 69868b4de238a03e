/**
 * Analysis: watch a window, read both versions' metrics, ask the domain for a decision.
 * Inconclusive (too few samples, or metrics that could not be read) extends the window — the
 * next read covers the whole step so far, so samples accumulate — up to a limit. Then metrics
 * that could not be read fail safe by rolling back; a window the anytime-valid tests cannot
 * decide yet holds the deployment (Paused) for a person: resume keeps watching, promote or
 * rollback decide. Runs recorded before those tests roll back on both.
 */
import { isCancellation, patched } from '@temporalio/workflow';
import { assessWindow, unmeasuredWindow, worst, type MinSamples, type RollbackThresholds, type WindowAssessment } from '../../domain/deployments/analysis';
import { assessWindowSequential, DECISION_ALPHA } from '../../domain/decisions/assess-window';
import type { Judgement } from '../../domain/decisions/judgement';
import type { WindowSpec } from '../../activities/deployment-activity-types';
import { reads } from '../activity-stubs';
import type { DeploymentRun } from '../deployment-run';
import { DeploymentEnding } from './ending';

export interface AnalysisSettings {
  thresholds: RollbackThresholds;
  minSamples: MinSamples;
  maxInconclusiveExtensions: number;
  /** This step's false-rollback budget (stepAlpha of the plan's analysis steps); DECISION_ALPHA by default. */
  alpha?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Accuracy breaches need statistical evidence (domain/deployments/analysis.ts); histories
 * recorded before it replay with the old rule. */
export const ACCURACY_EVIDENCE_PATCH = 'accuracy-significance';

/** Whether this workflow judges accuracy with the evidence test (always, for new runs). */
export function accuracyEvidence(): boolean {
  return patched(ACCURACY_EVIDENCE_PATCH);
}

/** Analysis windows are judged by the anytime-valid tests (domain/decisions); histories recorded
 * before them replay with the threshold rules, which roll back when still inconclusive. */
export const ANYTIME_VALID_PATCH = 'anytime-valid-decisions';

/** Whether this workflow judges windows with the anytime-valid tests (always, for new runs). */
export function anytimeValid(): boolean {
  return patched(ANYTIME_VALID_PATCH);
}

/** The evidence of an assessment's judged checks, for the history entry. */
export function evidenceOf(assessment: WindowAssessment): Judgement[] {
  return assessment.checks.flatMap((c) => (c.evidence ? [c.evidence] : []));
}

/** Reads and assesses one window. A failed read is an Error assessment ("couldn't measure"), never a pass. */
export async function measureWindow(run: DeploymentRun, stable: WindowSpec, candidate: WindowSpec, settings: Omit<AnalysisSettings, 'maxInconclusiveExtensions'>, final: boolean): Promise<WindowAssessment> {
  let assessment: WindowAssessment;
  try {
    const windows = await reads.readMetricWindows({ modelId: run.input.modelId, environment: run.input.environment, stable, candidate });
    assessment = anytimeValid()
      ? assessWindowSequential(windows.candidate, windows.stable, settings.thresholds, settings.minSamples, { final, alpha: settings.alpha ?? DECISION_ALPHA })
      : assessWindow(windows.candidate, windows.stable, settings.thresholds, settings.minSamples, { final, accuracyEvidence: accuracyEvidence() });
    run.view.metrics = { from: candidate.from, to: candidate.to, stable: windows.stable, candidate: windows.candidate, assessment };
  } catch (err) {
    if (isCancellation(err)) throw err;
    assessment = unmeasuredWindow(err instanceof Error ? err.message : String(err));
    run.view.metrics = { from: candidate.from, to: candidate.to, stable: null, candidate: null, assessment };
  }
  run.view.analysisPhase = worst(run.view.analysisPhase, assessment.phase === 'Failed' ? 'Failed' : assessment.phase);
  return assessment;
}

/**
 * One analysis step. `stableWindow` says which window of the stable version to compare with
 * (the same time range by default; blue-green compares with blue before the switch).
 * Returns 'promoted' when a promote command cut the wait short.
 */
export async function analysisStep(
  run: DeploymentRun,
  label: string,
  windowMs: number,
  final: boolean,
  settings: AnalysisSettings,
  stableWindow: (from: number, to: number) => { from: number; to: number } = (from, to) => ({ from, to }),
  startAt?: number,
): Promise<'passed' | 'promoted'> {
  const from = startAt ?? Date.now();
  await run.setPhase('Analysing');
  for (let extensions = 0; ; extensions++) {
    if ((await run.waitFor(windowMs)) === 'promoted') return 'promoted';
    const to = Date.now();
    const s = stableWindow(from, to);
    const assessment = await measureWindow(
      run,
      { versionId: run.stable!.versionId, from: iso(s.from), to: iso(s.to) },
      { versionId: run.input.versionId, from: iso(from), to: iso(to) },
      settings,
      final,
    );
    const reason = assessment.reasons.join('; ');
    const evidence = evidenceOf(assessment);
    run.record(label, assessment.phase === 'Error' ? 'Error' : assessment.decision, reason, evidence.length > 0 ? evidence : undefined);
    if (assessment.decision === 'Rollback') throw new DeploymentEnding('RolledBack', 'threshold', `threshold breached (${assessment.breached.join(', ')}): ${reason}`);
    if (assessment.decision === 'Inconclusive') {
      if (extensions >= settings.maxInconclusiveExtensions) {
        if (assessment.phase === 'Inconclusive' && evidence.length > 0) {
          // Too little evidence either way is no reason to roll back a version nothing is known
          // against, nor to promote it: a person decides, and the window keeps growing meanwhile.
          await run.hold(label, `still inconclusive after ${extensions} extension(s): ${reason}; resume to keep watching, or promote or roll back`);
          extensions = -1;
          continue;
        }
        throw new DeploymentEnding('RolledBack', 'inconclusive', `still inconclusive after ${extensions} extension(s): ${reason}`);
      }
      run.record(label, 'Extend', `window extended (${extensions + 1} of ${settings.maxInconclusiveExtensions})`);
      await run.publish();
      continue;
    }
    await run.publish();
    return 'passed';
  }
}
