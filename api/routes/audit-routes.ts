import express from 'express';
import { z } from '../openapi/zod';
import type { RouteCatalogue } from '../http/route-catalogue';
import { parseOrThrow } from '../http/validate';
import { commonErrors, jsonBody } from '../openapi/common-schemas';
import type { AuditRepository } from '../../infra/mongo/audit-repository';

const BASE = '/api/v1/audit';

const isoTime = () => z.iso.datetime({ offset: true }).openapi({ description: 'ISO 8601 time', example: '2026-12-01T10:00:00Z' });

const ListQuerySchema = z
  .strictObject({
    actor: z.string().min(1).max(200).optional().openapi({ description: 'Actor id or name (username, or workflow id)' }),
    action: z.string().min(1).max(300).optional().openapi({ description: 'Action, or its beginning (e.g. `PUT /api/v1/routing`, `deployment.decision`)' }),
    targetType: z.string().min(1).max(100).optional().openapi({ description: 'e.g. routing, models, deployment' }),
    targetId: z.string().min(1).max(500).optional(),
    requestId: z.string().min(1).max(128).optional(),
    from: isoTime().optional().openapi({ description: 'Records at or after this time' }),
    to: isoTime().optional().openapi({ description: 'Records before this time' }),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) < Date.parse(q.to), { message: 'must be after from', path: ['to'] });

const ActorSchema = z.object({ type: z.enum(['user', 'api-key', 'workflow', 'anonymous']), id: z.string().nullable(), name: z.string().nullable(), role: z.string().nullable() });

const AuditRecordSchema = z
  .object({
    seq: z.number().int().openapi({ description: 'Position in the hash chain (1, 2, 3, … with no gaps)' }),
    at: z.string(),
    actor: ActorSchema,
    action: z.string().openapi({ description: '`<METHOD> <route>` for API calls, `deployment.decision` for workflow decisions' }),
    target: z.object({ type: z.string(), id: z.string() }).nullable(),
    status: z.number().int().nullable().openapi({ description: 'HTTP status of an API call; null for a workflow decision' }),
    before: z.unknown().optional(),
    after: z.unknown().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
    requestId: z.string().nullable(),
    traceId: z.string().nullable(),
    prevHash: z.string(),
    hash: z.string().openapi({ description: 'SHA-256 (hex) of the canonical JSON of the record without `hash`, prevHash included' }),
  })
  .openapi('AuditRecord');

const VerificationSchema = z
  .object({
    valid: z.boolean(),
    checked: z.number().int(),
    lastSeq: z.number().int(),
    firstBrokenSeq: z.number().int().nullable(),
    problem: z.object({ seq: z.number().int(), kind: z.enum(['missing', 'prev-hash-mismatch', 'hash-mismatch']), message: z.string() }).nullable(),
  })
  .openapi('AuditVerification');

/** GET /api/v1/audit (filtered, newest first) and GET /api/v1/audit/verify (checks the hash chain). */
export function auditRoutes(audit: AuditRepository) {
  return (catalogue: RouteCatalogue) => {
    const r = express.Router();
    const add = catalogue.add.bind(catalogue, r, BASE);
    const mount = express.Router();
    mount.use('/audit', r);

    add('get', '/', 'audit:read', {
      summary: 'Audit records, newest first',
      description: 'Every state-changing API call (refused ones with their status) and every deployment workflow decision, hash-chained.',
      tags: ['Audit'],
      request: { query: ListQuerySchema },
      responses: { 200: jsonBody(z.object({ records: z.array(AuditRecordSchema), total: z.number(), limit: z.number(), offset: z.number() })), ...commonErrors },
    }, async (req, res) => {
      const q = parseOrThrow(ListQuerySchema, req.query, 'query');
      const { records, total } = await audit.list({ ...q, from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined });
      res.json({ records, total, limit: q.limit, offset: q.offset });
    });

    add('get', '/verify', 'audit:read', {
      summary: 'Check the audit hash chain',
      description:
        'Walks the chain from seq 1 and reports the first record that does not check out: `missing` (a record was removed), `prev-hash-mismatch` (removed and renumbered, or reordered), `hash-mismatch` (edited). Records removed from the very end leave a valid chain: compare `lastSeq` with one noted earlier.',
      tags: ['Audit'],
      responses: { 200: jsonBody(VerificationSchema), ...commonErrors },
    }, async (_req, res) => {
      res.json(await audit.verify());
    });

    return mount;
  };
}
