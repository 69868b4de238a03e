import fs from 'node:fs';
import path from 'node:path';
import { CreateVersionBodySchema } from '../api/schemas/model-schemas';
import { UsageError } from './errors';

/** A model directory as the examples lay it out: metadata.json next to model.onnx. */
export interface ModelDirectory {
  metadata: Record<string, unknown>;
  name: string;
  artifactPath: string;
}

export function readModelDirectory(dir: string, artifact?: string): ModelDirectory {
  const metadataPath = path.join(dir, 'metadata.json');
  let metadata: unknown;
  try {
    metadata = JSON.parse(fs.readFileSync(metadataPath, 'utf8'));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `is not valid JSON (${(e as Error).message})`;
    throw new UsageError(`${metadataPath} ${why}`, 'give a directory with metadata.json and model.onnx (see examples/models/)');
  }
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) throw new UsageError(`${metadataPath} is not a JSON object`);
  const m = metadata as Record<string, unknown>;
  if (typeof m.name !== 'string') throw new UsageError(`${metadataPath} has no "name"`, 'metadata.json names the model: {"name": "fraud-detection", ...}');
  const artifactPath = artifact ?? path.join(dir, 'model.onnx');
  if (!fs.existsSync(artifactPath)) throw new UsageError(`${artifactPath} does not exist`, 'put model.onnx next to metadata.json, or give --artifact FILE');
  return { metadata: m, name: m.name, artifactPath };
}

const VERSION_FIELDS = new Set(Object.keys(CreateVersionBodySchema.shape));

/**
 * The version-level part of metadata.json (what POST /models/{id}/versions takes): the fields
 * the API's version schema has. Example: { name, framework, version: '2.0.0' } → { version: '2.0.0' }.
 */
export function versionPart(metadata: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(metadata).filter(([k]) => VERSION_FIELDS.has(k)));
}

/** The multipart form the registry takes: metadata first, then the artifact streamed from disk. */
export async function registrationForm(metadata: Record<string, unknown>, artifactPath: string): Promise<FormData> {
  const form = new FormData();
  form.append('metadata', JSON.stringify(metadata));
  form.append('artifact', await fs.openAsBlob(artifactPath), path.basename(artifactPath));
  return form;
}
