/**
 * deploy/prometheus/alerts.yml through the real promtool (Debian's prometheus package, installed by
 * scripts/setup-tools.sh): the rules parse, their unit tests in alerts.test.yml pass (each alert
 * fires on the series it is for, after its `for`, and not on the model servers' same-named
 * metrics), and the Prometheus config of the compose stack loads them.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../../ops/repo-paths';

const DIR = path.join(repoRoot(), 'deploy/prometheus');

function promtool(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync('promtool', args, { cwd: DIR, encoding: 'utf8' });
  if (r.error) throw new Error(`promtool did not run (scripts/setup-tools.sh installs it): ${r.error.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

it('checks the alert rules', () => {
  const r = promtool('check', 'rules', 'alerts.yml');
  expect(r.out).toContain('SUCCESS: 4 rules found');
  expect(r.status).toBe(0);
});

it('passes the rules’ unit tests, and fails a wrong expectation', () => {
  const ok = promtool('test', 'rules', 'alerts.test.yml');
  expect(ok.out).toContain('SUCCESS');
  expect(ok.status).toBe(0);
  // The same tests expecting the error-ratio alert before its 5 minutes of `for` must fail: they really evaluate.
  const wrong = fs.readFileSync(path.join(DIR, 'alerts.test.yml'), 'utf8').replace('eval_time: 12m', 'eval_time: 3m');
  const file = path.join(DIR, `.alerts-wrong-${process.pid}.test.yml`);
  fs.writeFileSync(file, wrong);
  try {
    const bad = promtool('test', 'rules', path.basename(file));
    expect(bad.status).not.toBe(0);
    expect(bad.out).toContain('HotSwapInferenceErrorRatioHigh');
  } finally {
    fs.rmSync(file, { force: true });
  }
});

it('is loaded by the compose stack’s Prometheus', () => {
  const config = parse(fs.readFileSync(path.join(DIR, 'prometheus.yml'), 'utf8')) as { rule_files: string[] };
  expect(config.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
  expect(fs.readFileSync(path.join(repoRoot(), 'docker-compose.yml'), 'utf8')).toContain('./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro');
});
