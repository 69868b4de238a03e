import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { AppError } from '../domain/errors';
import { errorBody, readJson, sendError, sendJson } from './http-io';
import { toLoadSpec, type LoadDefaults } from './load-spec';
import { serviceCredentialRequired } from './service-credential';
import type { VersionRegistry } from './version-registry';

/** Default bound on how long an unload waits for in-flight requests. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;

const name = z.string().min(1).max(200).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits, ".", "_", ":" and "-" only');
const id = z.string().min(1).max(200).regex(/^[A-Za-z0-9._:@-]+$/, 'letters, digits, ".", "_", ":", "@" and "-" only');

const loadBodySchema = z.object({
  versionId: id,
  modelName: name,
  version: name,
  artifactKey: z.string().min(1).max(1024),
  checksum: z.string().regex(/^sha256:[0-9a-fA-F]{64}$/, 'must be sha256:<64 hex characters>'),
  // Both null: an OIP-only version (no native JSON interface).
  inputSchema: z.record(z.string(), z.unknown()).nullable(),
  outputSchema: z.record(z.string(), z.unknown()).nullable(),
  estimatedBytes: z.number().int().min(0).optional(),
  options: z
    .object({
      intraOpThreads: z.number().int().min(1).max(64).optional(),
      interOpThreads: z.number().int().min(1).max(64).optional(),
      graphOptimization: z.enum(['disabled', 'basic', 'extended', 'all']).optional(),
      maxBatchSize: z.number().int().min(1).max(4096).optional(),
      maxQueueDelayMicros: z.number().int().min(0).max(1_000_000).optional(),
      warmupRuns: z.number().int().min(0).max(1000).optional(),
    })
    .strict()
    .optional(),
}).refine((b) => (b.inputSchema === null) === (b.outputSchema === null), { path: ['outputSchema'], message: 'inputSchema and outputSchema are both set or both null' });

export type ControlConfig = LoadDefaults;

/** `authorized`: the service-credential check (service-credential.ts). */
export function createControlRoutes(config: ControlConfig, registry: VersionRegistry, authorized: (req: IncomingMessage) => boolean, drainTimeoutMs = DEFAULT_DRAIN_TIMEOUT_MS) {
  async function load(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = loadBodySchema.safeParse(await readJson(req));
    if (!parsed.success)
      throw new AppError(
        'VALIDATION_ERROR',
        undefined,
        parsed.error.issues.map((i) => ({ field: i.path.join('.') || 'body', message: i.message })),
      );
    const outcome = await registry.load(toLoadSpec(config, parsed.data));
    if (outcome.ok) {
      sendJson(res, 200, outcome.summary);
      return;
    }
    const e = outcome.error;
    const appError = new AppError(e.code, e.message, [{ field: e.field, message: e.message }]);
    sendJson(res, 422, { ...outcome.summary, state: 'Failed', reason: e.message, ...errorBody(appError, req) });
  }

  /**
   * Handles /control/...; `parts` are the decoded path segments after "control".
   * Returns false when no control route matches.
   */
  return async function handleControl(method: string, parts: string[], req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (parts[0] !== 'versions' || parts.length > 2) return false;
    if (!authorized(req)) {
      req.resume();
      sendError(res, serviceCredentialRequired('The control API'));
      return true;
    }
    if (parts.length === 1) {
      if (method === 'GET') sendJson(res, 200, { versions: registry.summaries() });
      else if (method === 'POST') await load(req, res);
      else methodNotAllowed(res, 'GET, POST');
      return true;
    }
    const versionId = parts[1];
    if (method === 'GET') {
      const host = registry.get(versionId);
      if (!host) throw new AppError('VERSION_NOT_FOUND', `Version ${versionId} is not loaded on this server`);
      sendJson(res, 200, host.summary());
    } else if (method === 'DELETE') {
      const result = await registry.unload(versionId, drainTimeoutMs);
      sendJson(res, 200, result ? { versionId, state: 'Unloaded', wasLoaded: true, ...result, drainMs: Math.round(result.drainMs) } : { versionId, state: 'Unloaded', wasLoaded: false });
    } else methodNotAllowed(res, 'GET, DELETE');
    return true;
  };
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  sendError(res, new AppError('NOT_FOUND', `Method not allowed; use ${allow}`, [], { allow }), 405);
}
