import { createHash } from 'node:crypto';
import { AppError } from '../../domain/errors';
import { backgroundIndices, explainableVersion, explainedValue, planExplanation, type ExplainableVersion, type Explanation } from '../../domain/explanations';
import { findSampleSet, type SampleSetSource } from '../../infra/artifact-store/sample-sets';
import type { VersionRepository } from '../../infra/mongo/version-repository';
import type { Target } from './target';
import type { UpstreamHeaders } from './upstream';
import type { VersionClient } from './version-client';

/** What explaining a version needs, read once per version: its features and its background rows. */
export interface ExplainPlan extends ExplainableVersion {
  background: Record<string, unknown>[];
}

export interface ExplainerDeps {
  versions: Pick<VersionRepository, 'find'>;
  sampleSets: SampleSetSource;
  client: Pick<VersionClient, 'call'>;
  /** EXPLAIN_BACKGROUND_ROWS: background rows taken (evenly) from the version's sample set. */
  backgroundRows: number;
  /** EXPLAIN_MAX_COALITIONS: exact KernelSHAP up to this many coalitions, sampled beyond. */
  maxCoalitions: number;
}

/** A version's plan is kept this long; a refusal (no sample set yet) only briefly, so an upload is seen soon. */
const PLAN_TTL_MS = 10 * 60_000;
const REFUSAL_TTL_MS = 5_000;
const MAX_PLANS = 64;

const refused = (t: Target, why: string) =>
  new AppError('VALIDATION_ERROR', `${t.modelName} ${t.version} cannot be explained: it ${why}`, [{ field: 'explain', message: `${t.modelName} ${t.version} ${why}` }]);

/**
 * Per-prediction KernelSHAP explanations (`?explain=true`). The background is the version's
 * sample set (infra/artifact-store/sample-sets.ts), EXPLAIN_BACKGROUND_ROWS of its rows picked
 * evenly; the coalition rows (1 + (coalitions + 1) × background) go to a model server holding
 * the version in ONE batch call, and the math is domain/explanations. The fraud example (5
 * features, 30 coalitions, 32 background rows) costs 1,000 rows per explanation.
 */
export class Explainer {
  private readonly plans = new Map<string, { at: number; ttl: number; plan: Promise<ExplainPlan> }>();

  constructor(private readonly deps: ExplainerDeps) {}

  /** The version's plan, or a 400 naming why it cannot be explained (no tabular schema, no sample set). */
  prepare(t: Target): Promise<ExplainPlan> {
    const now = Date.now();
    const hit = this.plans.get(t.versionId);
    if (hit && now - hit.at < hit.ttl) return hit.plan;
    if (this.plans.size >= MAX_PLANS) this.plans.delete(this.plans.keys().next().value!);
    const entry = { at: now, ttl: PLAN_TTL_MS, plan: this.load(t) };
    entry.plan.catch(() => {
      entry.ttl = REFUSAL_TTL_MS;
    });
    this.plans.set(t.versionId, entry);
    return entry.plan;
  }

  private async load(t: Target): Promise<ExplainPlan> {
    const v = await this.deps.versions.find(t.modelId, t.versionId);
    if (!v) throw new AppError('VERSION_NOT_FOUND', `Model version does not exist: ${t.modelName} ${t.version}`);
    const ex = explainableVersion(v.inputSchema, v.outputSchema);
    if ('problem' in ex) throw refused(t, ex.problem);
    const set = await findSampleSet(this.deps.sampleSets, t.modelName, v);
    if (!set || set.instances.length === 0) throw refused(t, 'has no baseline sample set (samples.json next to its artifact): explanations need background rows');
    const background = backgroundIndices(set.instances.length, this.deps.backgroundRows).map((i) => set.instances[i]);
    return { ...ex, background };
  }

  /** Explains `prediction` (the model's answer for `x`) with one batch call to the version's servers. */
  async explain(t: Target, plan: ExplainPlan, x: Record<string, unknown>, prediction: unknown, headers: UpstreamHeaders): Promise<Explanation> {
    const explainedClass = plan.task === 'classification' ? String((prediction as { label?: unknown } | null)?.label) : undefined;
    const seed = createHash('sha1').update(JSON.stringify(x)).digest().readUInt32LE(0);
    const job = planExplanation({ features: plan.features, x, background: plan.background, maxCoalitions: this.deps.maxCoalitions, seed });
    const up = await this.deps.client.call(t, 'POST', t.batchPath, headers, Buffer.from(JSON.stringify({ instances: job.rows })));
    const answer = JSON.parse(up.body.toString('utf8')) as { predictions?: unknown[]; error?: { message?: unknown } };
    if (up.status !== 200 || !Array.isArray(answer.predictions))
      throw new AppError('INFERENCE_ERROR', `Explaining failed: the model server answered ${up.status} to the coalition batch (${typeof answer.error?.message === 'string' ? answer.error.message : 'no message'})`);
    let outputs: number[];
    try {
      outputs = answer.predictions.map((p) => explainedValue(p, plan.task, explainedClass));
    } catch (e) {
      throw new AppError('INFERENCE_ERROR', `Explaining failed: ${(e as Error).message}`);
    }
    return job.finish(outputs, plan.task === 'regression' ? 'value' : `probability:${explainedClass}`);
  }
}
