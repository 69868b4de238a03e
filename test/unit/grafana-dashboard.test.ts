/**
 * The Grafana dashboard reads each metric from the process that means it: the api's gateway and
 * the model servers export hotswap_inference_duration_seconds and hotswap_inference_errors_total
 * under the same names for different things (the clients' view; the model's own share), so a
 * panel that does not select a job adds them up.
 */
import fs from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');
const dashboard = JSON.parse(fs.readFileSync(path.join(root, 'deploy/grafana/dashboards/hotswap-overview.json'), 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] };
const prometheus = fs.readFileSync(path.join(root, 'deploy/prometheus/prometheus.yml'), 'utf8');

/** Metric names a source file registers with prom-client (`name: 'hotswap_…'`). */
function metricNames(file: string): Set<string> {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  return new Set([...text.matchAll(/name: '(hotswap_[a-z_]+)'/g)].map((m) => m[1]));
}

const gateway = metricNames('api/gateway/gateway-metrics.ts');
const modelServer = metricNames('model-server/metrics.ts');
const shared = [...gateway].filter((n) => modelServer.has(n));

it('finds the metric names both the gateway and the model servers export', () => {
  expect(shared).toEqual(expect.arrayContaining(['hotswap_inference_duration_seconds', 'hotswap_inference_errors_total']));
});

it('selects a job wherever a panel reads a metric both export, and the jobs exist in the Prometheus config', () => {
  const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })));
  const unfiltered = exprs.flatMap(({ title, expr }) =>
    [...expr.matchAll(/(hotswap_[a-z_]+?)(?:_bucket|_count|_sum)?\{([^}]*)\}/g)].filter((m) => shared.includes(m[1]) && !/\bjob="[^"]+"/.test(m[2])).map((m) => `${title}: ${m[0]}`),
  );
  expect(unfiltered).toEqual([]);
  const jobs = new Set(exprs.flatMap(({ expr }) => [...expr.matchAll(/\bjob="([^"]+)"/g)].map((m) => m[1])));
  expect(jobs.size).toBeGreaterThan(0);
  for (const job of jobs) expect(prometheus).toContain(`job_name: ${job}`);
});
