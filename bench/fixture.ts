import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../ops/repo-paths';

/**
 * What every scenario of the benchmark serves: the same model version and the same request
 * body, so the numbers differ only by the path a request takes.
 */
export const MODEL_NAME = 'fraud-detection';
export const MODEL_VERSION = '1.0.0';

export function modelDir(): string {
  return path.join(repoRoot(), 'examples', 'models', MODEL_NAME, MODEL_VERSION);
}

export function modelPath(): string {
  return path.join(modelDir(), 'model.onnx');
}

export interface FraudFeatures {
  transaction_amount: number;
  merchant_category: string;
  user_age_days: number;
  transaction_hour: number;
  is_international?: boolean;
}

/** The single-row body of every single-prediction scenario (B1, model server, gateway). */
export const FEATURES: FraudFeatures = { transaction_amount: 115.04, merchant_category: 'grocery', user_age_days: 107, transaction_hour: 4, is_international: true };
export const SINGLE_BODY = JSON.stringify({ features: FEATURES });

/** The committed labelled sample rows of the model, cycled to `n` rows (the batch body). */
export function sampleRows(n: number): FraudFeatures[] {
  const samples = JSON.parse(readFileSync(path.join(modelDir(), 'samples.json'), 'utf8')) as { instances: FraudFeatures[] };
  const rows: FraudFeatures[] = [];
  for (let i = 0; i < n; i++) rows.push(samples.instances[i % samples.instances.length]);
  return rows;
}

/**
 * Hand-written preprocessing of B1 and the raw ORT run: the model's dense float tensor,
 * columns [amount, one-hot(merchant_category) ×5, user_age_days, transaction_hour,
 * is_international], exactly what the model server derives from the version's input schema.
 * Minimal checks only (B1 is the physical reference, not a product).
 */
export const CATEGORIES = ['retail', 'electronics', 'travel', 'grocery', 'online'];
export const WIDTH = 9;
export const CLASSES = ['legit', 'fraud'];

export function encodeInto(f: FraudFeatures, dst: Float32Array, offset: number): boolean {
  const c = CATEGORIES.indexOf(f.merchant_category);
  if (c < 0 || typeof f.transaction_amount !== 'number' || typeof f.user_age_days !== 'number' || typeof f.transaction_hour !== 'number') return false;
  dst[offset] = f.transaction_amount;
  for (let i = 0; i < CATEGORIES.length; i++) dst[offset + 1 + i] = i === c ? 1 : 0;
  dst[offset + 6] = f.user_age_days;
  dst[offset + 7] = f.transaction_hour;
  dst[offset + 8] = f.is_international === true ? 1 : 0;
  return true;
}

/** The session options the model server uses for a small model (model-server/session-factory.ts). */
export const SESSION_OPTIONS = {
  executionProviders: ['cpu'],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
  logSeverityLevel: 3,
  extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
} as const;
