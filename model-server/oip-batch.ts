import * as ort from 'onnxruntime-node';
import type { TensorInfo } from './session-factory';

/** One Open Inference Protocol request's run: its feeds, the outputs it wants, its rows (dim 0). */
export interface OipRun {
  feeds: Record<string, ort.Tensor>;
  fetches: string[];
  rows: number;
}

export type OipResult = Record<string, ort.Tensor> | Error;
export type SessionRun = (feeds: Record<string, ort.Tensor>, fetches: string[]) => Promise<Record<string, ort.Tensor>>;

/**
 * Whether requests to a graph may be stacked along dimension 0 (Triton's max_batch_size > 0):
 * every input and output has a known rank of at least 1 and a dynamic first dimension.
 */
export function isBatchable(graph: { inputs: readonly TensorInfo[]; outputs: readonly TensorInfo[] }): boolean {
  const ok = (t: TensorInfo) => t.type !== null && t.shape !== null && t.shape.length >= 1 && t.shape[0] === -1;
  return graph.inputs.length > 0 && graph.inputs.every(ok) && graph.outputs.every(ok);
}

/**
 * Runs the requests the dynamic batcher collected: requests with the same outputs and the same
 * per-row shapes run as one stacked run, whose outputs are split back by rows. A group whose
 * outputs do not have the stacked row count, or whose stacked run fails, runs request by
 * request, so one bad request fails alone. Returns one result (or error) per request, in order.
 */
export async function runOipBatch(run: SessionRun, items: readonly OipRun[]): Promise<OipResult[]> {
  const results = new Array<OipResult>(items.length);
  const single = async (i: number) => {
    try {
      results[i] = await run(items[i].feeds, items[i].fetches);
    } catch (e) {
      results[i] = e instanceof Error ? e : new Error(String(e));
    }
  };
  if (items.length === 1) {
    await single(0);
    return results;
  }
  const groups = new Map<string, number[]>();
  for (let i = 0; i < items.length; i++) {
    const key = signature(items[i]) ?? `\u0001${i}`;
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  }
  for (const idx of groups.values()) {
    const merged = idx.length > 1 ? await runStacked(run, idx.map((i) => items[i])).catch(() => null) : null;
    if (merged) idx.forEach((i, j) => (results[i] = merged[j]));
    else for (const i of idx) await single(i);
  }
  return results;
}

/** What requests must share to be stacked; null when the request's inputs disagree on dim 0. */
function signature(item: OipRun): string | null {
  let key = item.fetches.join('\u0000');
  for (const name of Object.keys(item.feeds).sort()) {
    const t = item.feeds[name];
    if (t.dims.length === 0 || t.dims[0] !== item.rows) return null;
    key += `\u0002${name}\u0000${t.type}\u0000${t.dims.slice(1).join(',')}`;
  }
  return key;
}

type Stackable = ArrayLike<unknown> & { subarray?: (a: number, b: number) => ArrayLike<unknown>; slice(a: number, b: number): ArrayLike<unknown> };

async function runStacked(run: SessionRun, group: readonly OipRun[]): Promise<Record<string, ort.Tensor>[] | null> {
  const total = group.reduce((s, it) => s + it.rows, 0);
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of Object.keys(group[0].feeds)) {
    const first = group[0].feeds[name];
    const parts = group.map((it) => it.feeds[name].data as Stackable);
    let data: unknown;
    if (Array.isArray(first.data)) data = (parts as unknown as string[][]).flat();
    else {
      const Ctor = (first.data as unknown as { constructor: new (n: number) => { set(a: ArrayLike<unknown>, at: number): void } }).constructor;
      const arr = new Ctor(parts.reduce((s, p) => s + p.length, 0));
      let at = 0;
      for (const p of parts) {
        arr.set(p, at);
        at += p.length;
      }
      data = arr;
    }
    feeds[name] = new ort.Tensor(first.type, data as never, [total, ...first.dims.slice(1)]);
  }
  const out = await run(feeds, group[0].fetches);
  const split: Record<string, ort.Tensor>[] = group.map(() => ({}));
  for (const name of group[0].fetches) {
    const t = out[name];
    if (!t || t.dims[0] !== total) return null;
    const rest = t.dims.slice(1);
    const rowSize = rest.reduce((a, b) => a * b, 1);
    const data = t.data as Stackable;
    let row = 0;
    for (let j = 0; j < group.length; j++) {
      const n = group[j].rows;
      const a = row * rowSize;
      const b = (row + n) * rowSize;
      split[j][name] = new ort.Tensor(t.type, (data.subarray ? data.subarray(a, b) : data.slice(a, b)) as never, [n, ...rest]);
      row += n;
    }
  }
  return split;
}
