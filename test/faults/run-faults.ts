/**
 * `npm run faults`: every fault of the catalogue, one after another, on one stack under
 * steady load; prints each result and, after a full run, writes the table into
 * docs/RELIABILITY.md. Exit code 1 when an expectation did not hold.
 *
 *   npm run faults -- --only kill-server-1,freeze-server-1   (no report unless --report)
 *   npm run faults -- --list
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../../ops/repo-paths';
import { FAULTS } from './fault-catalogue';
import { runFault, setUpSuite, type FaultResult } from './fault-run';
import { FaultStack } from './fault-stack';
import { faultTable, runConditions, writeSection } from './reliability-report';
import { writeSourceEntryPoints } from './source-entry-points';

export class UnknownFaultError extends Error {
  constructor(ids: string[]) {
    super(`unknown fault(s): ${ids.join(', ')}; known: ${FAULTS.map((f) => f.id).join(', ')}`);
    this.name = 'UnknownFaultError';
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      list: { type: 'boolean', default: false },
      rps: { type: 'string', default: process.env.FAULTS_RPS ?? '30' },
      dist: { type: 'string' },
      report: { type: 'boolean' },
    },
  });
  if (values.list) {
    for (const f of FAULTS) process.stdout.write(`${f.id.padEnd(28)} ${f.title} — ${f.when}\n`);
    return 0;
  }
  const wanted = values.only ? values.only.split(',').map((s) => s.trim()) : FAULTS.map((f) => f.id);
  const unknown = wanted.filter((id) => !FAULTS.some((f) => f.id === id));
  if (unknown.length > 0) throw new UnknownFaultError(unknown);
  const faults = FAULTS.filter((f) => wanted.includes(f.id));
  const report = values.report ?? !values.only;

  const dir = path.join(repoRoot(), '.test-data', `faults-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 23)} ${line}\n`);
  const distDir = values.dist ? path.resolve(values.dist) : writeSourceEntryPoints(dir);
  log(`state and logs in ${dir}; processes from ${values.dist ? distDir : 'the TypeScript sources (tsx)'}`);
  const stack = await FaultStack.start({ dir, distDir });
  const stopOnSignal = () => void stack.stop().finally(() => process.exit(130));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  const results: FaultResult[] = [];
  try {
    const suite = await setUpSuite(stack, { rps: Number(values.rps), log });
    for (const fault of faults) {
      log(`=== ${fault.id}: ${fault.title} (${fault.when})`);
      const r = await runFault(suite, fault);
      results.push(r);
      log(`${r.passed ? 'PASS' : 'FAIL'} ${JSON.stringify(r)}`);
      fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify(results, null, 2));
    }
    await suite.load.stop();
  } finally {
    await stack.stop();
  }
  const table = faultTable(results, `${runConditions()}, ${values.rps} req/s, ${values.dist ? 'built dist' : 'sources through tsx'}`);
  process.stdout.write(`\n${table}\n`);
  if (report) {
    writeSection('faults', table);
    log('table written into docs/RELIABILITY.md');
  }
  return results.every((r) => r.passed) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`faults: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(2);
  },
);
