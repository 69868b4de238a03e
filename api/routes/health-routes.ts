import express from 'express';
import type { HealthService } from '../services/health-service';

/** Open health endpoints: /health (components, 503 when a required one is down), /health/live. */
export function healthRoutes(health: HealthService) {
  const r = express.Router();
  r.get('/health/live', (_req, res) => void res.json({ status: 'alive' }));
  r.get('/health', async (_req, res) => {
    const report = await health.report();
    res.status(report.status === 'unhealthy' ? 503 : 200).set('cache-control', 'no-store').json(report);
  });
  return r;
}
