import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Router } from 'express';
import { AppError } from '../../domain/errors';
import { repoRoot } from '../../infra/config/repo-root';
import type { ApiConfig } from '../../infra/config/schemas';

/** What the console's page needs besides the API: where the other UIs are. */
export interface ConsoleSettings {
  temporalUiUrl: string;
  grafanaUrl: string | null;
}

export function consoleDir(config: Pick<ApiConfig, 'CONSOLE_DIR'>): string {
  return path.resolve(config.CONSOLE_DIR ?? path.join(repoRoot(), 'dist', 'console'));
}

/**
 * The web console at /console: the prebuilt bundle (console/, built by `npm run build`) as
 * static files, and /console/settings.json. It calls the public API like any client; nothing
 * here is authenticated because nothing here is more than the page and two links.
 */
export function consoleRoutes(config: Pick<ApiConfig, 'CONSOLE_DIR' | 'TEMPORAL_UI_URL' | 'GRAFANA_URL'>): Router {
  const dir = consoleDir(config);
  const settings: ConsoleSettings = { temporalUiUrl: config.TEMPORAL_UI_URL, grafanaUrl: config.GRAFANA_URL ?? null };
  const router = express.Router();
  router.get('/console/settings.json', (_req, res) => void res.json(settings));
  router.get('/console', (req, res, next) => {
    // Relative asset paths in index.html resolve under /console/ only with the trailing slash.
    if (req.path === '/console') return res.redirect(301, '/console/');
    next();
  });
  router.use('/console', (_req, _res, next) => {
    next(existsSync(path.join(dir, 'index.html')) ? undefined : new AppError('SERVICE_UNAVAILABLE', `The web console is not built (no ${dir}/index.html): run npm run build`));
  });
  router.use('/console', express.static(dir, { index: 'index.html', maxAge: 0, fallthrough: true }));
  return router;
}
