import { twoProportionZTest } from '../domain/statistics/hypothesis-tests';
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}
const t0 = Date.now(); const r = mulberry32(1); let s = 0; for (let i = 0; i < 16e6; i++) s += r(); console.log('rand', Date.now() - t0, s);
const t1 = Date.now(); for (let i = 0; i < 40000; i++) twoProportionZTest(100 + (i % 50), 200, 120, 200); console.log('z', Date.now() - t1);
