/**
 * Writes measured results into docs/RELIABILITY.md between markers, so the document always
 * shows the last full run, generated from its results and never typed by hand.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../ops/repo-paths';
import type { FaultResult } from './fault-run';

export type ReportSection = 'faults' | 'soak';

export class ReportMarkersMissingError extends Error {
  constructor(file: string, section: ReportSection) {
    super(`${file} has no <!-- ${section}:begin --> … <!-- ${section}:end --> markers`);
    this.name = 'ReportMarkersMissingError';
  }
}

export function reliabilityDoc(): string {
  return path.join(repoRoot(), 'docs', 'RELIABILITY.md');
}

/** "2026-12-07 18:40 UTC, commit abc1234 (+ uncommitted changes), 2 × Intel … , 8 GB, load average 3.1" */
export function runConditions(): string {
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: repoRoot(), encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  const commit = git('rev-parse', '--short', 'HEAD') || 'unknown';
  const dirty = git('status', '--porcelain', '--untracked-files=no') ? ' (+ uncommitted changes)' : '';
  const cpus = os.cpus();
  const when = new Date().toISOString().replace('T', ' ').slice(0, 16);
  return `${when} UTC, commit ${commit}${dirty}, ${cpus.length} × ${cpus[0]?.model.trim() ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GB, load average ${os.loadavg()[0].toFixed(1)} at the end (machine shared with other runs)`;
}

/** Replaces the text between the section's markers. */
export function writeSection(section: ReportSection, body: string, file = reliabilityDoc()): void {
  const text = fs.readFileSync(file, 'utf8');
  const begin = `<!-- ${section}:begin -->`;
  const end = `<!-- ${section}:end -->`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new ReportMarkersMissingError(file, section);
  fs.writeFileSync(file, `${text.slice(0, i + begin.length)}\n${body.trim()}\n${text.slice(j)}`);
}

const seconds = (ms: number | null) => (ms === null ? '–' : Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : 'never');
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The fault table: fault | when | expected | measured (and whether the expectation held). */
export function faultTable(results: FaultResult[], conditions: string): string {
  const rows = results.map((r) => {
    const codes = Object.entries(r.requests.statusCodes)
      .filter(([s]) => s !== '200')
      .map(([s, n]) => `${n}× ${s === '0' ? 'connection error' : s}`)
      .join(', ');
    const measured = [
      `**${r.passed ? 'PASS' : 'FAIL'}**`,
      `${r.deployment.from} → ${r.deployment.to}: ${r.deployment.status}${r.deployment.seconds !== null ? ` in ${r.deployment.seconds} s` : ''}`,
      `${r.requests.failed} failed of ${r.requests.total}${codes ? ` (${codes}, within ${r.requests.failedSeconds} s)` : ''}`,
      `${r.lost} lost`,
      `traffic recovered ${seconds(r.trafficRecoveryMs)}`,
      `deployment progressing again ${seconds(r.progressRecoveryMs)}`,
      `slowest answer ${seconds(r.requests.slowestMs)}`,
      ...r.problems.map((p) => `✗ ${p}`),
      `(Ready before: ${Object.entries(r.readyAtStart).map(([s, v]) => `${s} ${v.join('+') || 'nothing'}`).join(', ')}${r.healed.length ? `; ${r.healed.join(', ')} reloaded ${r.deployment.from} by reconciliation before the fault` : ''})`,
    ].join('; ');
    return `| ${cell(r.title)} | ${cell(r.when)} | ${cell(r.expected)} | ${cell(measured)} |`;
  });
  return [`Measured ${conditions}.`, '', '| fault | when | expected | measured |', '|---|---|---|---|', ...rows].join('\n');
}
