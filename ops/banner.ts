import { redactUri, type StackPlan } from './stack-plan';

/** The "everything is up" message: where things are and how to log in. */
export function formatBanner(plan: StackPlan, startMs: number): string {
  const rows: Array<[string, string]> = [
    ['API', plan.apiUrl],
    ['Console', `${plan.apiUrl}/console/`],
    ['API docs', `${plan.apiUrl}/api/v1/docs`],
    ['OpenAPI', `${plan.apiUrl}/api/v1/openapi.json`],
    ['Temporal UI', plan.temporalUiUrl],
    ['Temporal', `${plan.temporalAddress}${plan.temporal ? ' (dev server)' : ' (external)'}`],
    ['MongoDB', `${redactUri(plan.mongoUri)}${plan.ferretdb ? ' (FerretDB)' : ' (external)'}`],
  ];
  const metrics = plan.processes.map((p) => `${p.name.padEnd(9)}${p.metricsUrl}`);
  metrics.sort((a, b) => (a.startsWith('api') ? -1 : b.startsWith('api') ? 1 : 0));
  metrics.forEach((m, i) => rows.push([i === 0 ? 'Metrics' : '', m]));
  if (plan.metricsTokenRequired) rows.push(['', '(send Authorization: Bearer $METRICS_TOKEN)']);
  rows.push(
    ['Admin login', `${plan.admin.username} / ${plan.admin.password}${plan.admin.fromEnv ? '  (BOOTSTRAP_ADMIN_PASSWORD)' : '  (initial password)'}`],
    ['Artifacts', plan.artifacts],
    ['Data dir', plan.dataDir],
  );
  const body = rows.map(([k, v]) => `  ${k.padEnd(12)} ${v}`);
  const width = Math.max(...body.map((l) => l.length)) + 2;
  const rule = '─'.repeat(Math.min(width, 100));
  return [
    rule,
    `  HotSwap is up (${(startMs / 1000).toFixed(1)}s)`,
    rule,
    ...body,
    rule,
    '  Ctrl-C stops everything.',
    rule,
  ].join('\n');
}
