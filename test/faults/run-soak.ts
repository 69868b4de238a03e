/**
 * `npm run soak` (not in CI): N cycles of deploy → promote → rollback under steady load on the
 * fault suite's stack; reports failed requests, rollback time p50/p99, the resident memory of
 * every process after the first cycle and at the end (growth is what fails: a leak grows, a
 * heap that the garbage collector shrank does not), and the database's size, and writes the report into
 * docs/RELIABILITY.md. Exit code 1 when a floor is not met.
 *
 *   npm run soak -- --cycles 100 [--variant after-promotion|before-promotion] [--rps 30]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../../ops/repo-paths';
import { setUpSuite } from './fault-run';
import { FaultStack } from './fault-stack';
import { runConditions, writeSection } from './reliability-report';
import { nearestRank, runCycle, type CycleResult, type SoakVariant } from './soak-cycle';
import { writeSourceEntryPoints } from './source-entry-points';

const ROLLBACK_P99_FLOOR_MS = 1000;
const RSS_GROWTH_FLOOR = 0.1;
/**
 * The memory baseline is taken once the processes' bounded caches have filled: at the first cycle
 * ending this long after the first one (and no earlier than cycle 1). Why: the Temporal dev server
 * keeps every workflow it touched for 2 minutes (DEV_SERVER_DYNAMIC_CONFIG), so its memory rises for
 * the first 2 minutes of any workload and then stays; growth after that is what a leak looks like.
 * The growth from the first cycle is reported too.
 */
const RSS_WARM_UP_MS = 3 * 60_000;

export class SoakArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SoakArgumentError';
  }
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      cycles: { type: 'string', default: process.env.SOAK_CYCLES ?? '100' },
      variant: { type: 'string', default: process.env.SOAK_VARIANT ?? 'after-promotion' },
      rps: { type: 'string', default: process.env.SOAK_RPS ?? '30' },
      dist: { type: 'string' },
      report: { type: 'boolean', default: true },
    },
    allowNegative: true,
  });
  const cycles = Number(values.cycles);
  if (!Number.isInteger(cycles) || cycles < 1) throw new SoakArgumentError(`--cycles must be a positive integer, got ${values.cycles}`);
  const variant = values.variant as SoakVariant;
  if (variant !== 'after-promotion' && variant !== 'before-promotion') throw new SoakArgumentError(`--variant must be after-promotion or before-promotion, got ${values.variant}`);

  const dir = path.join(repoRoot(), '.test-data', `soak-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 23)} ${line}\n`);
  const distDir = values.dist ? path.resolve(values.dist) : writeSourceEntryPoints(dir);
  log(`state and logs in ${dir}; ${cycles} cycles, rollback ${variant}`);
  const stack = await FaultStack.start({ dir, distDir });
  const stopOnSignal = () => void stack.stop().finally(() => process.exit(130));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);

  const results: CycleResult[] = [];
  let error: Error | undefined;
  let firstRss: Record<string, number> = {};
  let startRss: Record<string, number> = {};
  let firstCycleAt = 0;
  let warmCycle = 0;
  let midRss: Record<string, number> = {};
  let endRss: Record<string, number> = {};
  let dbStart = 0;
  let dbEnd = 0;
  let failed = 0;
  let total = 0;
  const t0 = Date.now();
  try {
    const suite = await setUpSuite(stack, { rps: Number(values.rps), log });
    dbStart = stack.databaseBytes();
    const before = suite.load.snapshot();
    for (let i = 1; i <= cycles; i++) {
      try {
        const r = await runCycle(suite, i, variant);
        results.push(r);
        // After the first cycle every code path of a cycle has run once (JIT, pools); the baseline
        // waits for the caches too (RSS_WARM_UP_MS).
        if (i === 1) {
          firstRss = stack.rss();
          firstCycleAt = Date.now();
        }
        if (warmCycle === 0 && (Date.now() - firstCycleAt >= RSS_WARM_UP_MS || i === cycles)) {
          startRss = stack.rss();
          warmCycle = i;
        }
        // Halfway (of the cycles after the baseline), to tell a leak (grows in both halves) from data that fills up (grows less and less).
        if (warmCycle > 0 && i === warmCycle + Math.ceil((cycles - warmCycle) / 2)) midRss = stack.rss();
        log(`cycle ${i}/${cycles}: ${r.candidate} ${r.status}, rollback ${r.rollbackMs} ms (recorded ${r.recordedRollbackMs ?? '–'} ms)`);
        fs.writeFileSync(path.join(dir, 'cycles.json'), JSON.stringify(results, null, 2));
      } catch (e) {
        error = e as Error;
        log(`stopping: ${error.message}`);
        break;
      }
    }
    endRss = stack.rss();
    dbEnd = stack.databaseBytes();
    const after = await suite.load.stop();
    failed = after.non2xx + after.errors - (before.non2xx + before.errors);
    total = after.total - before.total;
  } finally {
    await stack.stop();
  }

  const times = results.map((r) => r.rollbackMs).sort((a, b) => a - b);
  const p50 = times.length ? nearestRank(times, 0.5) : NaN;
  const p99 = times.length ? nearestRank(times, 0.99) : NaN;
  const rssRows = Object.keys({ ...startRss, ...endRss }).map((name) => {
    const first = firstRss[name];
    const a = startRss[name];
    const m = midRss[name];
    const b = endRss[name];
    const growth = a && b ? (b - a) / a : NaN;
    const secondHalf = m && b ? (b - m) / m : NaN;
    const sinceFirst = first && b ? (b - first) / first : NaN;
    return { name, first, a, m, b, growth, secondHalf, sinceFirst };
  });
  const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : 'restarted or gone');
  const floors = {
    failed: failed === 0,
    rollback: p99 <= ROLLBACK_P99_FLOOR_MS,
    rss: rssRows.every((r) => r.growth <= RSS_GROWTH_FLOOR),
    complete: results.length === cycles && !error,
  };
  const ok = (b: boolean) => (b ? 'PASS' : 'FAIL');
  const report = [
    `Measured ${runConditions()}, ${values.rps} req/s, ${values.dist ? 'built dist' : 'sources through tsx'}; rollback ${variant}; ${Math.round((Date.now() - t0) / 60_000)} min.`,
    '',
    '| measure | value | floor |',
    '|---|---|---|',
    `| cycles completed | ${results.length} of ${cycles}${error ? ` (stopped: ${error.message.replace(/\|/g, '\\|').slice(0, 300)})` : ''} | ${ok(floors.complete)} |`,
    `| failed requests | ${failed} of ${total} | 0: ${ok(floors.failed)} |`,
    `| rollback time p50 / p99 (client view) | ${Math.round(p50)} ms / ${Math.round(p99)} ms | p99 ≤ 1 s: ${ok(floors.rollback)} |`,
    `| database size | ${mb(dbStart)} → ${mb(dbEnd)} | |`,
    ...rssRows.map((r) => `| RSS ${r.name} | ${r.a ? mb(r.a) : '–'} (cycle ${warmCycle}) → ${r.m ? mb(r.m) : '–'} (halfway) → ${r.b ? mb(r.b) : '–'}: ${pct(r.growth)}, second half ${pct(r.secondHalf)}; from cycle 1 (${r.first ? mb(r.first) : '–'}): ${pct(r.sinceFirst)} | growth ≤ 10 %: ${ok(r.growth <= RSS_GROWTH_FLOOR)} |`),
  ].join('\n');
  process.stdout.write(`\n${report}\n`);
  if (values.report) writeSection('soak', report);
  return Object.values(floors).every(Boolean) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`soak: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(2);
  },
);
