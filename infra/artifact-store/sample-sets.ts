/**
 * A version's labelled sample set (the deployments' smoke-test rows, the explanations'
 * background). Where it lives (first found wins):
 * 1. the artifact store, next to the model: `<folder of artifactKey>/samples.json`
 *    (e.g. `models/fraud-detection/2.0.0/samples.json`), then `models/<name>/<version>/samples.json`;
 * 2. SAMPLE_SETS_DIR (default ./examples/models): `<dir>/<modelName>/<version>/samples.json`,
 *    so the example models registered from examples/ have theirs without an upload.
 * Format (examples/README.md): `{"instances": [{...features}], "labels": ["<class>", ...]}`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { sampleSetKeys, type ModelVersion } from '../../domain/models/model';
import type { ArtifactStore } from './artifact-store';

export interface SampleSet {
  instances: Record<string, unknown>[];
  labels: (string | number | null)[] | null;
  source: string;
}

const MAX_SAMPLE_FILE_BYTES = 64 * 1024 * 1024;

function parseSampleSet(text: string, source: string): SampleSet {
  const raw = JSON.parse(text) as { instances?: unknown; labels?: unknown };
  if (!Array.isArray(raw.instances) || !raw.instances.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r)))
    throw new Error(`${source}: "instances" must be an array of feature objects`);
  const labels = Array.isArray(raw.labels) ? (raw.labels as (string | number | null)[]) : null;
  if (labels && labels.length !== raw.instances.length) throw new Error(`${source}: ${labels.length} labels for ${raw.instances.length} instances`);
  return { instances: raw.instances as Record<string, unknown>[], labels, source };
}

async function readStream(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stream) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(c as string);
    size += b.length;
    if (size > MAX_SAMPLE_FILE_BYTES) throw new Error(`sample set larger than ${MAX_SAMPLE_FILE_BYTES} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export interface SampleSetSource {
  artifacts: ArtifactStore;
  /** SAMPLE_SETS_DIR: `<dir>/<modelName>/<version>/samples.json`, the fallback after the artifact store. */
  sampleSetsDir: string | null | undefined;
}

/** The version's labelled sample set, or null when it has none (see the file comment for where it is looked up). */
export async function findSampleSet(deps: SampleSetSource, modelName: string, version: Pick<ModelVersion, 'artifactKey' | 'version'>): Promise<SampleSet | null> {
  for (const key of sampleSetKeys(modelName, version)) {
    let stat;
    try {
      stat = await deps.artifacts.stat(key);
    } catch {
      continue; // not a key this store accepts
    }
    if (stat) return parseSampleSet(await readStream(await deps.artifacts.get(key)), `${deps.artifacts.toReference(key)}`);
  }
  if (deps.sampleSetsDir) {
    const file = join(deps.sampleSetsDir, modelName, version.version, 'samples.json');
    try {
      return parseSampleSet(await readFile(file, 'utf8'), file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return null;
}

