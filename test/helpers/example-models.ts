import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', 'examples', 'models');

/** A committed example model version: its ONNX bytes and registration metadata. */
export function exampleModel(name: string, version: string) {
  const dir = join(ROOT, name, version);
  const onnx = readFileSync(join(dir, 'model.onnx'));
  const metadata = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8')) as Record<string, any>;
  return { dir, onnx, metadata, sha256: createHash('sha256').update(onnx).digest('hex') };
}

/** The version-level part of metadata.json (what POST /models/{id}/versions takes). */
export function versionBody(metadata: Record<string, any>) {
  const { version, inputSchema, outputSchema, trainingMetadata, baseline, lineage, modelCard } = metadata;
  return { version, inputSchema, outputSchema, trainingMetadata, baseline, lineage, modelCard };
}

export function uploadForm(metadata: unknown, artifact: Buffer): FormData {
  const form = new FormData();
  form.append('metadata', JSON.stringify(metadata));
  form.append('artifact', new Blob([new Uint8Array(artifact)]), 'model.onnx');
  return form;
}
