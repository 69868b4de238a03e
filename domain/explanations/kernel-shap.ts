/**
 * KernelSHAP (Lundberg & Lee, 2017): per-feature attributions φ of one prediction f(x), with
 * φ₀ = E[f(b)] over a background sample and φ₀ + Σφᵢ = f(x).
 *
 * A coalition z ⊆ {features} is valued v(z) = mean over background rows b of f(x_z, b_{¬z})
 * (features in z from x, the others from b: "interventional" SHAP). The φ are the weighted
 * least-squares fit of v(z) ≈ φ₀ + Σ_{i∈z} φᵢ under the Shapley kernel
 * w(z) = (M−1) / (C(M,|z|)·|z|·(M−|z|)), with the ends fixed (v(∅) = φ₀, v(all) = f(x)).
 * With every coalition enumerated the fit gives the exact Shapley values; with coalitions
 * sampled from the kernel (in complementary pairs) it is an estimate.
 *
 * Worked example: f(x) = 2·x₁ + 3·x₂ (linear), x = (1, 1), background {(0, 0), (2, 0)}:
 * E[b] = (1, 0), φ₀ = E[f(b)] = 2, φ₁ = 2·(1 − 1) = 0, φ₂ = 3·(1 − 0) = 3, and 2 + 0 + 3 = f(x) = 5.
 */

/** One coalition: `mask[i]` true when feature i takes x's value. */
export type Coalition = readonly boolean[];

export interface CoalitionPlan {
  /** Every coalition strictly between ∅ and all features, in the order their rows are built. */
  coalitions: Coalition[];
  /** Regression weight of each coalition (kernel weights when exact; sample counts when sampled). */
  weights: number[];
  /** True when every coalition was enumerated (exact Shapley values). */
  exact: boolean;
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/** The Shapley kernel weight of a coalition of `size` among `m` features (0 < size < m). */
export function shapleyKernelWeight(m: number, size: number): number {
  return (m - 1) / (binomial(m, size) * size * (m - size));
}

/**
 * The coalitions to evaluate for `m` features within `maxCoalitions`: all 2^m − 2 when they
 * fit (exact), else `maxCoalitions` drawn in complementary pairs — a size s with probability
 * ∝ (m−1)/(s(m−s)), then s features uniformly — merged, each weighted by how often it was drawn.
 * `random` returns numbers in [0, 1) (pass a seeded generator for repeatable answers).
 * Example: m = 3 → 6 coalitions, exact; weights 1/3 each ((3−1)/(3·1·2)).
 */
export function planCoalitions(m: number, maxCoalitions: number, random: () => number): CoalitionPlan {
  if (!Number.isInteger(m) || m < 1) throw new RangeError('m must be a positive integer');
  if (m === 1) return { coalitions: [], weights: [], exact: true };
  if (m < 31 && 2 ** m - 2 <= maxCoalitions) {
    const coalitions: Coalition[] = [];
    const weights: number[] = [];
    for (let bits = 1; bits < 2 ** m - 1; bits++) {
      const mask = Array.from({ length: m }, (_, i) => (bits & (1 << i)) !== 0);
      coalitions.push(mask);
      weights.push(shapleyKernelWeight(m, mask.filter(Boolean).length));
    }
    return { coalitions, weights, exact: true };
  }
  const sizeWeights = Array.from({ length: m - 1 }, (_, k) => (m - 1) / ((k + 1) * (m - k - 1)));
  const total = sizeWeights.reduce((a, b) => a + b, 0);
  const counts = new Map<string, { mask: boolean[]; n: number }>();
  const add = (mask: boolean[]) => {
    const key = mask.map((b) => (b ? '1' : '0')).join('');
    const e = counts.get(key);
    if (e) e.n++;
    else counts.set(key, { mask, n: 1 });
  };
  for (let drawn = 0; drawn + 1 < Math.max(2, maxCoalitions); drawn += 2) {
    let u = random() * total;
    let size = 1;
    while (size < m - 1 && u >= sizeWeights[size - 1]) u -= sizeWeights[size++ - 1];
    const order = Array.from({ length: m }, (_, i) => i);
    for (let i = 0; i < size; i++) {
      const j = i + Math.floor(random() * (m - i));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const mask = new Array<boolean>(m).fill(false);
    for (let i = 0; i < size; i++) mask[order[i]] = true;
    add(mask);
    add(mask.map((b) => !b));
  }
  const entries = [...counts.values()];
  return { coalitions: entries.map((e) => e.mask), weights: entries.map((e) => e.n), exact: false };
}

export interface ShapFit {
  /** φ₀ = E[f(b)] over the background. */
  baseValue: number;
  /** f(x). */
  value: number;
  /** One coalition value v(z) per planned coalition. */
  coalitionValues: readonly number[];
  plan: CoalitionPlan;
  m: number;
}

/**
 * Solves the constrained weighted least squares for φ₁…φ_m (Σφ = value − baseValue exactly:
 * φ_m is eliminated). Example: m = 2, exact plan, v({1}) = 2, v({2}) = 3, φ₀ = 0, f(x) = 5
 * → φ = [2, 3].
 */
export function solveKernelShap(fit: ShapFit): number[] {
  const { m, baseValue, value, plan, coalitionValues } = fit;
  const gap = value - baseValue;
  if (m === 1) return [gap];
  const k = m - 1;
  // Normal equations (XᵀWX)β = XᵀWy with X_zi = z_i − z_m, y_z = v(z) − φ₀ − z_m·gap.
  const a = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const b = new Array<number>(k).fill(0);
  plan.coalitions.forEach((z, c) => {
    const w = plan.weights[c];
    const zm = z[m - 1] ? 1 : 0;
    const y = coalitionValues[c] - baseValue - zm * gap;
    for (let i = 0; i < k; i++) {
      const xi = (z[i] ? 1 : 0) - zm;
      if (xi === 0) continue;
      b[i] += w * xi * y;
      for (let j = 0; j < k; j++) a[i][j] += w * xi * ((z[j] ? 1 : 0) - zm);
    }
  });
  const beta = solveLinear(a, b);
  const last = gap - beta.reduce((s, v) => s + v, 0);
  return [...beta, last];
}

/** Gaussian elimination with partial pivoting; a (near-)singular system gets a tiny ridge so it still answers. */
function solveLinear(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  const scale = Math.max(1e-300, ...a.map((row, i) => Math.abs(row[i])));
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) pivot = r;
    [m[col], m[pivot]] = [m[pivot], m[col]];
    if (Math.abs(m[col][col]) < 1e-12 * scale) m[col][col] += 1e-9 * scale;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r][col] / m[col][col];
      if (f === 0) continue;
      for (let c = col; c <= n; c++) m[r][c] -= f * m[col][c];
    }
  }
  return m.map((row, i) => row[n] / row[i]);
}
