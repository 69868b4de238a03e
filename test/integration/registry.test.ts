import { mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { startTestApi, type TestApi } from '../helpers/api-harness';
import { exampleModel, uploadForm, versionBody } from '../helpers/example-models';
import { filesUnder } from '../helpers/files-under';

const v1 = exampleModel('fraud-detection', '1.0.0');
const v2 = exampleModel('fraud-detection', '2.0.0');

let t: TestApi;
let ds: string;
let admin: string;

beforeAll(async () => {
  t = await startTestApi({ RATE_LIMIT_REGISTER_PER_MIN: '1000' });
  ds = await t.tokenFor('DataScientist');
  admin = await t.tokenFor('Admin');
});
afterAll(() => t.close());

/** Every file under the artifact directory, relative to it. */
const storedFiles = (root = t.artifactDir): string[] => filesUnder(root);

function placeArtifact(key: string, bytes: Buffer): void {
  const file = join(t.artifactDir, key);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, bytes);
}

async function register(body: Record<string, unknown>, token = ds) {
  return t.call('POST', '/api/v1/models', { token, body });
}

function expectErrorBody(body: any, code: string) {
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(Array.isArray(body.error.details)).toBe(true);
  expect(typeof body.error.traceId).toBe('string');
  expect(new Date(body.error.timestamp).toISOString()).toBe(body.error.timestamp);
}

describe('register a model with its first version (artifact referenced in the store)', () => {
  it('verifies the checksum by reading the artifact and stores every version field', async () => {
    placeArtifact('uploads/fraud-v1.onnx', v1.onnx);
    const res = await register({ ...v1.metadata, name: 'fraud-ref', artifactPath: 'fs://uploads/fraud-v1.onnx', checksum: `sha256:${v1.sha256}` });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'fraud-ref', version: '1.0.0', status: 'Registered', checksum: `sha256:${v1.sha256}` });
    expect(res.headers.get('location')).toBe(`/api/v1/models/${res.body.modelId}`);

    const version = await t.call('GET', '/api/v1/models/fraud-ref/versions/1.0.0', { token: ds });
    expect(version.status).toBe(200);
    expect(version.body).toMatchObject({
      modelName: 'fraud-ref',
      artifactSizeBytes: v1.onnx.length,
      inputSchema: v1.metadata.inputSchema,
      baseline: v1.metadata.baseline,
      lineage: v1.metadata.lineage,
      modelCard: v1.metadata.modelCard,
      status: 'Registered',
    });
  });

  it('accepts schemas given as JSON strings, as in the spec example', async () => {
    placeArtifact('uploads/fraud-str.onnx', v1.onnx);
    const res = await register({
      name: 'fraud-strings', framework: 'ScikitLearn', type: 'Classification', version: '1.0.0',
      artifactPath: 'fs://uploads/fraud-str.onnx',
      inputSchema: JSON.stringify(v1.metadata.inputSchema), outputSchema: JSON.stringify(v1.metadata.outputSchema),
    });
    expect(res.status).toBe(201);
    const version = await t.call('GET', '/api/v1/models/fraud-strings/versions/1.0.0', { token: ds });
    expect(version.body.inputSchema).toEqual(v1.metadata.inputSchema);
  });

  it('rejects a declared checksum that does not match, creating nothing', async () => {
    placeArtifact('uploads/fraud-bad.onnx', v1.onnx);
    const res = await register({ ...v1.metadata, name: 'fraud-badsum', artifactPath: 'fs://uploads/fraud-bad.onnx', checksum: `sha256:${'0'.repeat(64)}` });
    expect(res.status).toBe(400);
    expectErrorBody(res.body, 'CHECKSUM_MISMATCH');
    expect(res.body.error.details[0].field).toBe('checksum');
    expect((await t.call('GET', '/api/v1/models/fraud-badsum', { token: ds })).status).toBe(404);
  });

  it('rejects an artifactPath that is not in the store, or escapes it', async () => {
    for (const artifactPath of ['fs://uploads/missing.onnx', 'fs://../../etc/passwd', 's3://other/x.onnx']) {
      const res = await register({ ...v1.metadata, name: 'fraud-missing', artifactPath });
      expect(res.status).toBe(400);
      expect(res.body.error.details.map((d: any) => d.field)).toContain('artifactPath');
    }
    expect((await t.call('GET', '/api/v1/models/fraud-missing', { token: ds })).status).toBe(404);
  });
});

describe('upload a version (multipart, streamed)', () => {
  let modelId: string;
  beforeAll(async () => {
    const res = await register({ name: 'fraud-upload', framework: 'ScikitLearn', type: 'Classification', tags: ['fraud'] });
    expect(res.status).toBe(201);
    modelId = res.body.modelId;
  });

  it('stores the artifact, computes its SHA-256 and the size', async () => {
    const res = await t.call('POST', `/api/v1/models/${modelId}/versions`, { token: ds, rawBody: uploadForm(versionBody(v1.metadata), v1.onnx) });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ version: '1.0.0', checksum: `sha256:${v1.sha256}`, artifactSizeBytes: v1.onnx.length, status: 'Registered' });
    expect(storedFiles()).toContain(res.body.artifactPath.replace(/^fs:\/\//, ''));
  });

  it('rejects a mismatching declared checksum with nothing stored', async () => {
    const before = storedFiles();
    const res = await t.call('POST', `/api/v1/models/${modelId}/versions`, {
      token: ds,
      rawBody: uploadForm({ ...versionBody(v2.metadata), checksum: v1.sha256 }, v2.onnx),
    });
    expect(res.status).toBe(400);
    expectErrorBody(res.body, 'CHECKSUM_MISMATCH');
    expect(storedFiles()).toEqual(before);
    expect((await t.call('GET', `/api/v1/models/${modelId}/versions/2.0.0`, { token: ds })).status).toBe(404);
  });

  it('rejects invalid metadata before storing a byte', async () => {
    const before = storedFiles();
    const res = await t.call('POST', `/api/v1/models/${modelId}/versions`, {
      token: ds,
      rawBody: uploadForm({ ...versionBody(v2.metadata), version: 'two', inputSchema: { type: 'object', properties: { a: { type: 'nope' } } } }, v2.onnx),
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: any) => d.field).sort()).toEqual(['metadata.version']);
    expect(storedFiles()).toEqual(before);
  });

  it('rejects a JSON Schema that is not valid', async () => {
    const res = await t.call('POST', `/api/v1/models/${modelId}/versions`, {
      token: ds,
      rawBody: uploadForm({ ...versionBody(v2.metadata), inputSchema: { type: 'object', properties: { a: { type: 'nope' } } } }, v2.onnx),
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].field).toBe('inputSchema');
  });

  it('refuses a duplicate version with 409 and keeps the first artifact', async () => {
    const before = storedFiles();
    const res = await t.call('POST', `/api/v1/models/${modelId}/versions`, { token: ds, rawBody: uploadForm(versionBody(v1.metadata), v1.onnx) });
    expect(res.status).toBe(409);
    expectErrorBody(res.body, 'CONFLICT');
    expect(storedFiles()).toEqual(before);
  });

  it('lets only one of two racing uploads of the same version win', async () => {
    const [a, b] = await Promise.all(
      [0, 1].map(() => t.call('POST', `/api/v1/models/${modelId}/versions`, { token: ds, rawBody: uploadForm(versionBody(v2.metadata), v2.onnx) })),
    );
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    const versions = await t.call('GET', `/api/v1/models/${modelId}/versions`, { token: ds });
    expect(versions.body.versions.map((v: any) => v.version)).toEqual(['1.0.0', '2.0.0']);
    expect(storedFiles().filter((f) => f.startsWith('models/fraud-upload/2.0.0/'))).toHaveLength(1);
  });

  it('takes the metadata as a file part too (curl -F metadata=@metadata.json)', async () => {
    const form = new FormData();
    form.append('metadata', new Blob([JSON.stringify({ ...versionBody(v2.metadata), version: '2.1.0' })], { type: 'application/json' }), 'metadata.json');
    form.append('artifact', new Blob([new Uint8Array(v2.onnx)]), 'model.onnx');
    const res = await t.call('POST', `/api/v1/models/${modelId}/versions`, { token: ds, rawBody: form });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ version: '2.1.0', checksum: `sha256:${v2.sha256}`, artifactSizeBytes: v2.onnx.length });
  });

  it('rejects a metadata file part that is not JSON, or too large, with nothing stored', async () => {
    const before = storedFiles();
    const notJson = new FormData();
    notJson.append('metadata', new Blob(['{"version": ']), 'metadata.json');
    notJson.append('artifact', new Blob([new Uint8Array(v2.onnx)]), 'model.onnx');
    const res = await t.call('POST', `/api/v1/models/${modelId}/versions`, { token: ds, rawBody: notJson });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0]).toMatchObject({ field: 'metadata', message: 'is not valid JSON' });

    const huge = new FormData();
    huge.append('metadata', new Blob([JSON.stringify({ ...versionBody(v2.metadata), version: '2.2.0', pad: 'x'.repeat(2 * 1024 * 1024) })]), 'metadata.json');
    huge.append('artifact', new Blob([new Uint8Array(v2.onnx)]), 'model.onnx');
    const big = await t.call('POST', `/api/v1/models/${modelId}/versions`, { token: ds, rawBody: huge });
    expect(big.status).toBe(413);
    expect(big.body.error.details[0].field).toBe('metadata');
    expect(storedFiles()).toEqual(before);
    expect((await t.call('GET', `/api/v1/models/${modelId}/versions/2.2.0`, { token: ds })).status).toBe(404);
  });

  it('needs the metadata part before the artifact part', async () => {
    const form = new FormData();
    form.append('artifact', new Blob([new Uint8Array(v1.onnx)]), 'model.onnx');
    form.append('metadata', JSON.stringify(versionBody(v1.metadata)));
    const res = await t.call('POST', `/api/v1/models/${modelId}/versions`, { token: ds, rawBody: form });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].field).toBe('metadata');
  });

  it('refuses an artifact above MAX_ARTIFACT_BYTES with nothing stored', async () => {
    const small = await startTestApi({ MAX_ARTIFACT_BYTES: '100' });
    try {
      const token = await small.tokenFor('DataScientist');
      const res = await small.call('POST', '/api/v1/models', { token, rawBody: uploadForm({ ...v1.metadata, name: 'too-big' }, v1.onnx) });
      expect(res.status).toBe(413);
      expectErrorBody(res.body, 'PAYLOAD_TOO_LARGE');
      expect((await small.call('GET', '/api/v1/models/too-big', { token })).status).toBe(404);
      expect(storedFiles(small.artifactDir)).toEqual([]);
    } finally {
      await small.close();
    }
  });
});

describe('bad requests change nothing', () => {
  async function modelCount() {
    return (await t.call('GET', '/api/v1/models?includeArchived=true&limit=100', { token: ds })).body.total as number;
  }

  it.each([
    ['unknown field', { name: 'bad-1', framework: 'ONNX', type: 'Other', colour: 'red' }, ['colour']],
    ['wrong types', { name: 'bad-2', framework: 'ONNX', type: 'Other', tags: 'x' }, ['tags']],
    ['invalid name', { name: 'Bad_Name', framework: 'ONNX', type: 'Other' }, ['name']],
    ['unknown enum', { name: 'bad-3', framework: 'Caffe', type: 'Other' }, ['framework']],
    ['version fields without version', { name: 'bad-4', framework: 'ONNX', type: 'Other', artifactPath: 'fs://x' }, ['artifactPath']],
    ['version with one schema of the two', { name: 'bad-5', framework: 'ONNX', type: 'Other', version: '1.0.0', artifactPath: 'fs://x', inputSchema: {} }, ['outputSchema']],
    ['not semver', { name: 'bad-6', framework: 'ONNX', type: 'Other', version: 'v1', inputSchema: {}, outputSchema: {} }, ['version']],
  ])('%s → 400 with field details', async (_label, body, fields) => {
    const before = await modelCount();
    const res = await register(body);
    expect(res.status).toBe(400);
    expectErrorBody(res.body, 'VALIDATION_ERROR');
    expect(res.body.error.details.map((d: any) => d.field).sort()).toEqual([...fields].sort());
    expect(await modelCount()).toBe(before);
  });

  it('malformed JSON → 400', async () => {
    const res = await t.call('POST', '/api/v1/models', { token: ds, rawBody: '{"name": ', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0]).toEqual({ field: 'body', message: 'is not valid JSON' });
  });

  it('oversized JSON body → 413 PAYLOAD_TOO_LARGE', async () => {
    const before = await modelCount();
    const res = await register({ name: 'huge', framework: 'ONNX', type: 'Other', description: 'x'.repeat(t.config.MAX_BODY_BYTES + 10) });
    expect(res.status).toBe(413);
    expectErrorBody(res.body, 'PAYLOAD_TOO_LARGE');
    expect(await modelCount()).toBe(before);
  });

  it('unknown model → 404 MODEL_NOT_FOUND in the spec error body', async () => {
    const res = await t.call('GET', '/api/v1/models/no-such-model', { token: ds });
    expect(res.status).toBe(404);
    expectErrorBody(res.body, 'MODEL_NOT_FOUND');
    expect((await t.call('POST', '/api/v1/models/no-such-model/versions', { token: ds, body: versionBody(v1.metadata) })).status).toBe(404);
  });

  it('duplicate model name → 409 CONFLICT', async () => {
    expect((await register({ name: 'dup-model', framework: 'ONNX', type: 'Other' })).status).toBe(201);
    const res = await register({ name: 'dup-model', framework: 'PyTorch', type: 'Other' });
    expect(res.status).toBe(409);
    expectErrorBody(res.body, 'CONFLICT');
  });
});

describe('list, get, patch', () => {
  beforeAll(async () => {
    for (const [name, framework, type, tags, owner] of [
      ['list-a', 'PyTorch', 'Regression', ['team-x'], 'alice'],
      ['list-b', 'PyTorch', 'Classification', ['team-x', 'nlp'], 'bob'],
      ['list-c', 'XGBoost', 'Classification', ['nlp'], 'alice'],
    ] as const) {
      expect((await register({ name, framework, type, tags, owner })).status).toBe(201);
    }
  });

  it('filters by framework, type, tag, owner and name search, with total', async () => {
    const q = async (qs: string) => (await t.call('GET', `/api/v1/models?${qs}`, { token: ds })).body;
    expect((await q('framework=PyTorch&search=list-')).models.map((m: any) => m.name)).toEqual(['list-a', 'list-b']);
    expect((await q('type=Classification&search=list-')).models.map((m: any) => m.name)).toEqual(['list-b', 'list-c']);
    expect((await q('tag=nlp')).models.map((m: any) => m.name)).toEqual(['list-b', 'list-c']);
    expect((await q('owner=alice&search=list-')).models.map((m: any) => m.name)).toEqual(['list-a', 'list-c']);
    const page = await q('search=list-&limit=2&offset=1&sort=-name');
    expect(page).toMatchObject({ total: 3, limit: 2, offset: 1 });
    expect(page.models.map((m: any) => m.name)).toEqual(['list-b', 'list-a']);
  });

  it('rejects bad query parameters', async () => {
    const res = await t.call('GET', '/api/v1/models?limit=1000&sort=size&colour=red', { token: ds });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: any) => d.field).sort()).toEqual(['query.colour', 'query.limit', 'query.sort']);
  });

  it('gets a model by id and by name, and patches metadata', async () => {
    const byName = await t.call('GET', '/api/v1/models/list-a', { token: ds });
    const byId = await t.call('GET', `/api/v1/models/${byName.body.modelId}`, { token: ds });
    expect(byId.body).toEqual(byName.body);
    const patched = await t.call('PATCH', '/api/v1/models/list-a', { token: ds, body: { description: 'updated', tags: ['a', 'a', 'b'] } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ description: 'updated', tags: ['a', 'b'] });
    expect(new Date(patched.body.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(byName.body.updatedAt).getTime());
    expect((await t.call('PATCH', '/api/v1/models/list-a', { token: ds, body: { name: 'renamed' } })).status).toBe(400);
  });
});

describe('aliases and the status lifecycle', () => {
  beforeAll(async () => {
    expect((await t.call('POST', '/api/v1/models', { token: ds, rawBody: uploadForm({ ...v1.metadata, name: 'fraud-life' }, v1.onnx) })).status).toBe(201);
    expect((await t.call('POST', '/api/v1/models/fraud-life/versions', { token: ds, rawBody: uploadForm(versionBody(v2.metadata), v2.onnx) })).status).toBe(201);
  });

  it('moves an alias from one version to another atomically and resolves it', async () => {
    expect((await t.call('PUT', '/api/v1/models/fraud-life/aliases/champion', { token: ds, body: { version: '1.0.0' } })).body.aliases).toEqual({ champion: '1.0.0' });
    const moved = await t.call('PUT', '/api/v1/models/fraud-life/aliases/champion', { token: ds, body: { version: '2.0.0' } });
    expect(moved.body.aliases).toEqual({ champion: '2.0.0' });
    const byAlias = await t.call('GET', '/api/v1/models/fraud-life/versions/champion', { token: ds });
    expect(byAlias.body).toMatchObject({ version: '2.0.0', aliases: ['champion'] });
    expect((await t.call('PUT', '/api/v1/models/fraud-life/aliases/champion', { token: ds, body: { version: '9.9.9' } })).status).toBe(404);
    expect((await t.call('PUT', '/api/v1/models/fraud-life/aliases/Bad.Alias', { token: ds, body: { version: '1.0.0' } })).status).toBe(400);
    expect((await t.call('DELETE', '/api/v1/models/fraud-life/aliases/champion', { token: ds })).body.aliases).toEqual({});
    expect((await t.call('DELETE', '/api/v1/models/fraud-life/aliases/champion', { token: ds })).status).toBe(404);
  });

  it('allows only lifecycle transitions, approval by Admin only', async () => {
    const path = '/api/v1/models/fraud-life/versions/1.0.0';
    expect((await t.call('PATCH', path, { token: ds, body: { status: 'Approved' } })).status).toBe(400);
    expect((await t.call('PATCH', path, { token: ds, body: { status: 'Validating' } })).body.status).toBe('Validating');
    expect((await t.call('PATCH', path, { token: ds, body: { status: 'Validated' } })).body.status).toBe('Validated');
    expect((await t.call('PATCH', path, { token: ds, body: { status: 'Approved' } })).status).toBe(403);
    const approved = await t.call('PATCH', path, { token: admin, body: { status: 'Approved', reason: 'reviewed' } });
    expect(approved.body).toMatchObject({ status: 'Approved', approvedBy: 'admin' });
    expect(approved.body.statusHistory.map((s: any) => s.status)).toEqual(['Registered', 'Validating', 'Validated', 'Approved']);
    expect((await t.call('PATCH', path, { token: admin, body: { status: 'Deployed' } })).status).toBe(400);
  });
});

describe('delete: archive by default, purge on request, refused while routed', () => {
  it('archives, hiding the model from the default list', async () => {
    expect((await register({ name: 'to-archive', framework: 'ONNX', type: 'Other' })).status).toBe(201);
    expect((await t.call('DELETE', '/api/v1/models/to-archive', { token: ds })).status).toBe(403);
    const res = await t.call('DELETE', '/api/v1/models/to-archive', { token: admin });
    expect(res.body).toMatchObject({ purged: false });
    const list = await t.call('GET', '/api/v1/models?search=to-archive', { token: ds });
    expect(list.body.total).toBe(0);
    const all = await t.call('GET', '/api/v1/models?search=to-archive&includeArchived=true', { token: ds });
    expect(all.body.models[0].isArchived).toBe(true);
  });

  it('refuses to purge while a route sends traffic to a version, then purges versions and artifacts', async () => {
    const reg = await t.call('POST', '/api/v1/models', { token: ds, rawBody: uploadForm({ ...v1.metadata, name: 'to-purge' }, v1.onnx) });
    expect(reg.status).toBe(201);
    const routes = t.api.mongo.db.collection('routing_tables');
    await routes.insertOne({ _id: `${reg.body.modelId}:Production` as any, schemaVersion: 1, modelId: reg.body.modelId, modelName: 'to-purge', environment: 'Production', revision: 1, pools: [{ versionId: reg.body.versionId, version: '1.0.0', weight: 100 }], updatedAt: new Date() });
    const refused = await t.call('DELETE', '/api/v1/models/to-purge?purge=true', { token: admin });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('1.0.0');
    expect(storedFiles().some((f) => f.startsWith('models/to-purge/'))).toBe(true);

    await routes.updateOne({ modelId: reg.body.modelId }, { $set: { pools: [{ versionId: reg.body.versionId, version: '1.0.0', weight: 0 }] } });
    const purged = await t.call('DELETE', '/api/v1/models/to-purge?purge=true', { token: admin });
    expect(purged.body).toEqual({ modelId: reg.body.modelId, purged: true, deleted: { predictions: 0, feedback: 0, metricBuckets: 0, asyncRequests: 0 } });
    expect(storedFiles().some((f) => f.startsWith('models/to-purge/'))).toBe(false);
    expect((await t.call('GET', '/api/v1/models/to-purge', { token: ds })).status).toBe(404);
    expect(await t.api.mongo.db.collection('model_versions').countDocuments({ modelId: reg.body.modelId })).toBe(0);
  });
});

describe('rate limit', () => {
  it('answers 429 RATE_LIMIT_EXCEEDED with Retry-After past the per-principal register limit', async () => {
    const limited = await startTestApi({ RATE_LIMIT_REGISTER_PER_MIN: '2' });
    try {
      const token = await limited.tokenFor('MLEngineer');
      const statuses: number[] = [];
      for (const name of ['rl-a', 'rl-b', 'rl-c']) statuses.push((await limited.call('POST', '/api/v1/models', { token, body: { name, framework: 'ONNX', type: 'Other' } })).status);
      expect(statuses).toEqual([201, 201, 429]);
      const res = await limited.call('POST', '/api/v1/models', { token, body: { name: 'rl-d', framework: 'ONNX', type: 'Other' } });
      expect(res.body.error.code).toBe('RATE_LIMIT_EXCEEDED');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await limited.call('GET', '/api/v1/models/rl-c', { token })).status).toBe(404);
      // Another principal has its own budget.
      expect((await limited.call('POST', '/api/v1/models', { token: await limited.tokenFor('DataScientist'), body: { name: 'rl-e', framework: 'ONNX', type: 'Other' } })).status).toBe(201);
    } finally {
      await limited.close();
    }
  });
});
