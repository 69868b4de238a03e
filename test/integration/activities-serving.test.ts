/**
 * The deployment activities that touch model servers and routing, each run alone in
 * MockActivityEnvironment against real services: FerretDB, the api's inference gateway,
 * two in-process model servers, the registry with fraud-detection from examples/.
 */
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import { exampleModel, uploadForm, versionBody } from '../helpers/example-models';
import { FRAUD } from '../helpers/gateway-harness';
import { twoInputModel } from '../helpers/onnx-builder';
import { schemaCompatibilityProblems } from '../../activities/schema-checks';
import { parseRouteTag, routeTag } from '../../activities/routing-ledger';
import { routingTableId } from '../../infra/mongo/routing-repository';
import { runActivity, startWorld, type World } from './activities-world';

let w: World;
let v1: World['versions'][string];
let v2: World['versions'][string];
const DEP = 'dep-serving-1';

beforeAll(async () => {
  w = await startWorld({ servers: 2 });
  v1 = w.versions['1.0.0'];
  v2 = w.versions['2.0.0'];
}, 120_000);
afterAll(() => w?.close());

async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ApplicationFailure);
  return e as ApplicationFailure;
}

const loadedOn = async (i: number) => (await w.fleet[i].call('GET', '/control/versions', { headers: { authorization: `Bearer ${w.t.serviceToken}` } })).body.versions as { versionId: string; state: string }[];

describe('targets and validation gates', () => {
  it('resolves a first deployment: no stable version, every live server, names for search attributes', async () => {
    const targets = await runActivity(w.activities.resolveDeploymentTargets, { deploymentId: DEP, modelId: 'fraud-detection', versionId: '1.0.0', environment: 'Production' });
    expect(targets).toEqual({ stable: null, servers: [...w.serverIds()].sort(), modelName: 'fraud-detection', version: '1.0.0' });
  });

  it('labels unknown models and versions as non-retryable catalogue errors', async () => {
    const model = await failure(runActivity(w.activities.resolveDeploymentTargets, { deploymentId: DEP, modelId: 'nope', versionId: '1.0.0', environment: 'Production' }));
    expect(model.type).toBe('MODEL_NOT_FOUND');
    expect(model.nonRetryable).toBe(true);
    const version = await failure(runActivity(w.activities.checkCandidateLoads, { deploymentId: DEP, modelId: w.modelId, versionId: '7.7.7' }));
    expect(version.type).toBe('VERSION_NOT_FOUND');
    expect(version.nonRetryable).toBe(true);
  });

  it('verifies the stored artifact against the registered checksum', async () => {
    const r = await runActivity(w.activities.verifyArtifactIntegrity, { modelId: w.modelId, versionId: v2.versionId });
    expect(r).toMatchObject({ verified: true, checksum: v2.checksum });
  });

  it('loads the candidate under a scratch identity on one server, asks it one row, and leaves nothing loaded (twice)', async () => {
    for (let i = 0; i < 2; i++) {
      const check = await runActivity(w.activities.checkCandidateLoads, { deploymentId: DEP, modelId: w.modelId, versionId: v2.versionId });
      expect(check).toMatchObject({ name: 'model-loads', passed: true });
      expect(check.message).toMatch(/2\.0\.0 loaded, warmed up and answered a sample row/);
    }
    for (const i of [0, 1]) expect((await loadedOn(i)).filter((v) => v.versionId.startsWith('validate-'))).toEqual([]);
  });

  it('fails "the model loads" with the reason when the graph does not match the registered outputs', async () => {
    const ex = exampleModel('fraud-detection', '2.0.0');
    const meta = versionBody(ex.metadata);
    const outputSchema = { ...meta.outputSchema, 'x-hotswap-outputs': { ...meta.outputSchema['x-hotswap-outputs'], classes: ['legit', 'fraud', 'unsure'] } };
    // The registry refuses such a schema now; a version stored before it checked graphs still has one.
    expect((await w.t.call('POST', `/api/v1/models/${w.modelId}/versions`, { token: w.admin, rawBody: uploadForm({ ...meta, version: '2.0.1-bad', outputSchema }, ex.onnx) })).status).toBe(400);
    const res = await w.t.call('POST', `/api/v1/models/${w.modelId}/versions`, { token: w.admin, rawBody: uploadForm({ ...meta, version: '2.0.1-bad' }, ex.onnx) });
    expect(res.status).toBe(201);
    await w.db.collection('model_versions').updateOne({ _id: res.body.versionId }, { $set: { outputSchema } });
    const check = await runActivity(w.activities.checkCandidateLoads, { deploymentId: DEP, modelId: w.modelId, versionId: '2.0.1-bad' });
    expect(check.passed).toBe(false);
    expect(check.message).toMatch(/2\.0\.1-bad/);
    for (const i of [0, 1]) expect((await loadedOn(i)).filter((v) => v.versionId.startsWith('validate-'))).toEqual([]);
  });

  it('validates an OIP-only version: it loads with no sample row, cannot replace a native stable version, and smoke-tests as "could not measure"', async () => {
    const res = await w.t.call('POST', `/api/v1/models/${w.modelId}/versions`, { token: w.admin, rawBody: uploadForm({ version: '9.0.0-oip' }, twoInputModel()) });
    expect(res.status).toBe(201);
    const loads = await runActivity(w.activities.checkCandidateLoads, { deploymentId: 'dep-oip', modelId: w.modelId, versionId: res.body.versionId });
    expect(loads).toMatchObject({ passed: true, message: expect.stringMatching(/9\.0\.0-oip \(OIP-only: no feature schema to build a sample row from\) loaded/) });
    const compat = await runActivity(w.activities.checkSchemaCompatibility, { modelId: w.modelId, versionId: res.body.versionId, stableVersionId: v1.versionId });
    expect(compat).toMatchObject({ passed: false, message: expect.stringMatching(/OIP-only.*JSON features API would get 400/) });
    const smoke = await runActivity(w.activities.runSmokeTest, { deploymentId: 'dep-oip', modelId: w.modelId, versionId: res.body.versionId, samples: 10 });
    expect(smoke).toMatchObject({ samples: 0, validOutputs: 0 });
  });

  it('passes schema compatibility between 1.0.0 and 2.0.0, and names what breaks it', async () => {
    const check = await runActivity(w.activities.checkSchemaCompatibility, { modelId: w.modelId, versionId: v2.versionId, stableVersionId: v1.versionId });
    expect(check).toMatchObject({ name: 'schema-compatibility', passed: true });
    const first = await runActivity(w.activities.checkSchemaCompatibility, { modelId: w.modelId, versionId: v2.versionId, stableVersionId: null });
    expect(first.passed).toBe(true);
    const changed = { ...v2.inputSchema, properties: { ...(v2.inputSchema?.properties as object), transaction_amount: { type: 'string', enum: ['low', 'high'] } } };
    expect(schemaCompatibilityProblems({ inputSchema: changed, outputSchema: v2.outputSchema }, v1)).toEqual(['input feature transaction_amount is number in the stable version, string in the candidate']);
  });
});

describe('warm-up, routing, unload, health, smoke test', () => {
  it('warms a version on every server and waits for their heartbeats; again is a no-op; an unknown server fails alone', async () => {
    const servers = w.serverIds();
    const first = await runActivity(w.activities.warmUpVersion, { deploymentId: DEP, modelId: w.modelId, versionId: v1.versionId, servers });
    expect(first).toEqual({ ready: servers, failed: [] });
    const again = await runActivity(w.activities.warmUpVersion, { deploymentId: DEP, modelId: w.modelId, versionId: v1.versionId, servers });
    expect(again).toEqual({ ready: servers, failed: [] });
    const mixed = await runActivity(w.activities.warmUpVersion, { deploymentId: DEP, modelId: w.modelId, versionId: v2.versionId, servers: [...servers, 'ghost-server'] });
    expect(mixed.ready).toEqual(servers);
    expect(mixed.failed).toEqual([{ server: 'ghost-server', reason: 'not a live model server' }]);
  });

  it('applies a route only when every gateway serves it, fenced by sequence, idempotent per sequence', async () => {
    const base = { deploymentId: DEP, modelId: w.modelId, environment: 'Production' as const, reason: 'test' };
    const r1 = await runActivity(w.activities.applyRoute, { ...base, sequence: 1, route: { pools: [{ versionId: v1.versionId, weight: 100 }], shadow: null, sticky: null } });
    expect(r1).toMatchObject({ revision: 1, gateways: 1 });
    expect(r1.elapsedMs).toBeLessThan(5000);
    const answer = await w.t.call('POST', '/api/v1/inference/fraud-detection', { token: w.admin, body: { features: FRAUD } });
    expect(answer.status).toBe(200);
    expect(answer.body.version).toBe('1.0.0');

    const split = { pools: [{ versionId: v1.versionId, weight: 90 }, { versionId: v2.versionId, weight: 10 }], shadow: null, sticky: null };
    const r2 = await runActivity(w.activities.applyRoute, { ...base, sequence: 2, route: split });
    expect(r2.revision).toBe(2);
    const table = await w.deps.routing.get(w.modelId, 'Production');
    expect(table?.pools.map((p) => [p.version, p.weight, p.role])).toEqual([['1.0.0', 90, 'primary'], ['2.0.0', 10, 'canary']]);
    expect(parseRouteTag(table?.updatedBy)).toEqual({ deploymentId: DEP, sequence: 2 });

    // The same sequence again (a retry after a lost result): the revision it already wrote.
    expect((await runActivity(w.activities.applyRoute, { ...base, sequence: 2, route: split })).revision).toBe(2);
    // A late retry of sequence 1 finds what it wrote (revision 1) and writes nothing.
    const retry = await runActivity(w.activities.applyRoute, { ...base, sequence: 1, route: { pools: [{ versionId: v1.versionId, weight: 100 }], shadow: null, sticky: null } });
    expect(retry.revision).toBe(1);
    expect((await w.deps.routing.get(w.modelId, 'Production'))?.revision).toBe(2);
  });

  it('never lets an older sequence that was never written overwrite a newer one (a cancelled attempt finishing late)', async () => {
    const base = { deploymentId: 'dep-fence', modelId: w.modelId, environment: 'Staging' as const, reason: 'test' };
    const newer = await runActivity(w.activities.applyRoute, { ...base, sequence: 5, route: { pools: [{ versionId: v1.versionId, weight: 100 }], shadow: null, sticky: null } });
    const older = await runActivity(w.activities.applyRoute, { ...base, sequence: 4, route: { pools: [{ versionId: v1.versionId, weight: 50 }, { versionId: v2.versionId, weight: 50 }], shadow: null, sticky: null } });
    expect(older.revision).toBe(newer.revision);
    const table = await w.deps.routing.get(w.modelId, 'Staging');
    expect(table?.revision).toBe(newer.revision);
    expect(table?.pools.map((p) => p.weight)).toEqual([100]);
  });

  it('writes the table for a revision its earlier attempt claimed and then died before writing (kill -9 between the two writes)', async () => {
    const base = { deploymentId: 'dep-claimed', modelId: w.modelId, environment: 'Development' as const, reason: 'test' };
    const first = await runActivity(w.activities.applyRoute, { ...base, sequence: 1, route: { pools: [{ versionId: v1.versionId, weight: 100 }], shadow: null, sticky: null } });
    const tableId = routingTableId(w.modelId, 'Development');
    const next = first.revision + 1;
    const pools = [{ versionId: v1.versionId, version: '1.0.0', weight: 50, role: 'primary' }, { versionId: v2.versionId, version: '2.0.0', weight: 50, role: 'canary' }];
    // Attempt 1 of sequence 2 claimed the next revision in the ledger, then died before the table write.
    await w.db.collection('routing_revisions').insertOne({ _id: `${tableId}@${next}`, tableId, schemaVersion: 1, modelId: w.modelId, modelName: 'fraud-detection', environment: 'Development', revision: next, pools, shadow: null, sticky: null, cache: null, updatedAt: new Date(), updatedBy: routeTag('dep-claimed', 2) } as never);
    expect((await w.deps.routing.get(w.modelId, 'Development'))?.revision).toBe(first.revision);
    const retried = await runActivity(w.activities.applyRoute, { ...base, sequence: 2, route: { pools: [{ versionId: v1.versionId, weight: 50 }, { versionId: v2.versionId, weight: 50 }], shadow: null, sticky: null } });
    expect(retried).toMatchObject({ revision: next, gateways: 1 });
    expect((await w.deps.routing.get(w.modelId, 'Development'))?.pools.map((p) => p.weight)).toEqual([50, 50]);
    // Leave Development on 1.0.0 only, as the tests below expect of every table.
    await runActivity(w.activities.applyRoute, { ...base, sequence: 3, route: { pools: [{ versionId: v1.versionId, weight: 100 }], shadow: null, sticky: null } });
  });

  it('refuses an empty route and unknown versions without retries', async () => {
    const base = { deploymentId: DEP, modelId: w.modelId, environment: 'Production' as const, reason: 'test' };
    const empty = await failure(runActivity(w.activities.applyRoute, { ...base, sequence: 10, route: { pools: [], shadow: null, sticky: null } }));
    expect(empty.type).toBe('VALIDATION_ERROR');
    const unknown = await failure(runActivity(w.activities.applyRoute, { ...base, sequence: 11, route: { pools: [{ versionId: 'nope', weight: 100 }], shadow: null, sticky: null } }));
    expect(unknown.type).toBe('VERSION_NOT_FOUND');
    expect((await w.deps.routing.get(w.modelId, 'Production'))?.revision).toBe(2);
  });

  it('refuses to unload a routed version from every server, unloads it where another server keeps it', async () => {
    const refused = await failure(runActivity(w.activities.unloadVersion, { deploymentId: DEP, modelId: w.modelId, versionId: v2.versionId }));
    expect(refused.type).toBe('CONFLICT');
    expect(refused.message).toMatch(/still receives traffic from the routing table of Production \(revision \d+\)/);
    // Retiring (keepIfRouted) leaves it loaded and says which route keeps it.
    const kept = await runActivity(w.activities.unloadVersion, { deploymentId: DEP, modelId: w.modelId, versionId: v2.versionId, keepIfRouted: true });
    expect(kept).toEqual({ unloadedFrom: [], kept: expect.stringMatching(/^the routing table of Production \(revision \d+\) still sends it traffic/) });
    const [a, b] = w.serverIds();
    await runActivity(w.activities.unloadVersion, { deploymentId: DEP, modelId: w.modelId, versionId: v2.versionId, servers: [a] });
    expect((await loadedOn(0)).map((v) => v.versionId)).not.toContain(v2.versionId);
    expect((await loadedOn(1)).map((v) => v.versionId)).toContain(v2.versionId);

    const health = await runActivity(w.activities.checkServerHealth, { modelId: w.modelId, versionId: v2.versionId, servers: [a, b, 'ghost-server'] });
    expect(health).toEqual([
      { server: a, healthy: true, ready: false, reason: 'version not loaded' },
      { server: b, healthy: true, ready: true },
      { server: 'ghost-server', healthy: false, ready: false, reason: 'no recent heartbeat' },
    ]);
  });

  it('smoke-tests a version with its labelled sample set from examples/ (straight to a server)', async () => {
    const r = await runActivity(w.activities.runSmokeTest, { deploymentId: DEP, modelId: w.modelId, versionId: v1.versionId, samples: 200 });
    expect(r).toMatchObject({ samples: 200, validOutputs: 200, labelled: 200, baselineAccuracy: 0.844 });
    expect(r.correct / r.labelled).toBeGreaterThan(0.78);
    const all = await runActivity(w.activities.runSmokeTest, { deploymentId: DEP, modelId: w.modelId, versionId: v2.versionId, samples: 10_000 });
    expect(all.samples).toBe(500); // the whole set
    expect(all.correct / all.labelled).toBeCloseTo(0.894, 2);
  });

  it('smoke test prefers a samples.json stored next to the model in the artifact store', async () => {
    const key = posix.join(posix.dirname(v1.artifactKey), 'samples.json');
    await w.deps.artifacts.put(key, Readable.from([JSON.stringify({ instances: [FRAUD, FRAUD], labels: ['legit', 'fraud'] })]));
    try {
      const r = await runActivity(w.activities.runSmokeTest, { deploymentId: DEP, modelId: w.modelId, versionId: v1.versionId, samples: 100 });
      expect(r).toMatchObject({ samples: 2, validOutputs: 2, labelled: 2, correct: 1 });
    } finally {
      await w.deps.artifacts.delete(key);
    }
  });

  it('routes back, then unloads the candidate everywhere (a version not loaded is a no-op)', async () => {
    await runActivity(w.activities.applyRoute, { deploymentId: DEP, modelId: w.modelId, environment: 'Production', sequence: 3, route: { pools: [{ versionId: v1.versionId, weight: 100 }], shadow: null, sticky: null }, reason: 'rollback' });
    await runActivity(w.activities.unloadVersion, { deploymentId: DEP, modelId: w.modelId, versionId: v2.versionId });
    await runActivity(w.activities.unloadVersion, { deploymentId: DEP, modelId: w.modelId, versionId: v2.versionId });
    for (const i of [0, 1]) expect((await loadedOn(i)).map((v) => v.versionId)).toEqual([v1.versionId]);
    await expect(runActivity(w.activities.runSmokeTest, { deploymentId: DEP, modelId: w.modelId, versionId: v2.versionId, samples: 5 })).rejects.toThrow(/not Ready on any live model server/);
  });
});
