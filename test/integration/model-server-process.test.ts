import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FilesystemArtifactStore } from '../../infra/artifact-store/filesystem-artifact-store';
import { connectMongo, type MongoHandle } from '../../infra/mongo/client';
import { ServerRegistry, type ServerRecord } from '../../infra/mongo/server-registry';
import { exampleModel } from '../helpers/example-models';
import { until } from '../helpers/until';
import { exampleKey, loadBody, startTestModelServer } from '../helpers/model-server-harness';

const ROOT = join(__dirname, '..', '..');
const FRAUD = { transaction_amount: 115.04, merchant_category: 'grocery', user_age_days: 107, transaction_hour: 4, is_international: true };

function mongoUri(): string {
  const uri = process.env.HOTSWAP_TEST_MONGODB_URI;
  if (!uri) throw new Error('HOTSWAP_TEST_MONGODB_URI is not set: run the tests through jest global setup');
  return uri;
}

/** Records every heartbeat the server sends, and passes it on to MongoDB. */
class RecordingRegistry extends ServerRegistry {
  readonly sent: Omit<ServerRecord, 'schemaVersion' | 'heartbeatAt'>[] = [];
  override async heartbeat(record: Omit<ServerRecord, 'schemaVersion' | 'heartbeatAt'>, now?: Date): Promise<void> {
    this.sent.push(structuredClone(record));
    await super.heartbeat(record, now);
  }
}

describe('model server heartbeat (in process)', () => {
  let mongo: MongoHandle;
  beforeAll(async () => {
    mongo = await connectMongo(mongoUri(), `t_ms_${randomBytes(4).toString('hex')}`);
  });
  afterAll(async () => {
    await mongo.db.dropDatabase().catch(() => undefined);
    await mongo.close();
  });

  it('upserts its document with url, loaded versions and health; marks draining, then removes it on close', async () => {
    const registry = new RecordingRegistry(mongo.db);
    const ms = await startTestModelServer({ MODEL_SERVER_HEARTBEAT_MS: '50' }, { serverRegistry: registry });
    const id = ms.serverId;
    try {
      const first = await until('first heartbeat', async () => (await registry.all()).find((s) => s._id === id));
      expect(first).toMatchObject({ _id: id, url: ms.url, health: 'healthy', loaded: [], schemaVersion: 1 });
      expect((await ms.load('fraud-detection', '1.0.0')).status).toBe(200);
      const withVersion = await until('heartbeat with the loaded version', async () => {
        const doc = (await registry.all()).find((s) => s._id === id);
        return doc && doc.loaded.length === 1 && doc.loaded[0].state === 'Ready' ? doc : undefined;
      });
      expect(withVersion.loaded[0]).toMatchObject({ modelName: 'fraud-detection', version: '1.0.0', versionId: 'fraud-detection@1.0.0', state: 'Ready', memoryBytes: expect.any(Number) });
      expect((await registry.live(10_000)).map((s) => s._id)).toContain(id);
    } finally {
      await ms.close();
    }
    expect(registry.sent.at(-1)!.health).toBe('draining');
    expect((await registry.all()).find((s) => s._id === id)).toBeUndefined();
  });

  it('keeps serving when MongoDB is unreachable, and heartbeats fail quietly', async () => {
    const broken = new ServerRegistry(mongo.db);
    let calls = 0;
    broken.heartbeat = async () => {
      calls++;
      throw new Error('mongo down');
    };
    broken.remove = async () => {
      throw new Error('mongo down');
    };
    const ms = await startTestModelServer({ MODEL_SERVER_HEARTBEAT_MS: '20' }, { serverRegistry: broken });
    try {
      expect((await ms.load('fraud-detection', '1.0.0')).status).toBe(200);
      await until('a few failed beats', async () => calls >= 3);
      const r = await ms.call('POST', '/v1/models/fraud-detection/versions/1.0.0/predict', { auth: true, body: { features: FRAUD } });
      expect(r.status).toBe(200);
    } finally {
      await ms.close();
    }
  });
});

describe('model server process (tsx model-server/main.ts)', () => {
  let child: ChildProcess | undefined;
  let mongo: MongoHandle;
  const dbName = `t_ms_${randomBytes(4).toString('hex')}`;
  const artifactDir = mkdtempSync(join(tmpdir(), 'hotswap-ms-proc-art-'));
  const cacheDir = mkdtempSync(join(tmpdir(), 'hotswap-ms-proc-cache-'));
  const token = randomBytes(24).toString('base64url');
  const serverId = `proc-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    mongo = await connectMongo(mongoUri(), dbName);
    const store = new FilesystemArtifactStore(artifactDir);
    await store.put(exampleKey('fraud-detection', '1.0.0'), Readable.from([exampleModel('fraud-detection', '1.0.0').onnx]));
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await mongo.db.dropDatabase().catch(() => undefined);
    await mongo.close();
    rmSync(artifactDir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('starts, heartbeats, serves; on SIGTERM drains in-flight requests, removes its document and exits 0', async () => {
    child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'model-server', 'main.ts')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        MONGODB_URI: mongoUri(),
        MONGODB_DB: dbName,
        SERVICE_TOKEN: token,
        ARTIFACT_STORE: 'fs',
        ARTIFACT_DIR: artifactDir,
        MODEL_SERVER_ID: serverId,
        MODEL_SERVER_HOST: '127.0.0.1',
        MODEL_SERVER_PORT: '0',
        MODEL_SERVER_CACHE_DIR: cacheDir,
        MODEL_SERVER_HEARTBEAT_MS: '100',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

    const url = await until('the listening log line', async () => /"url":"(http:\/\/[^"]+)".*"msg":"model server listening"/.exec(log)?.[1], 60_000);
    const registry = new ServerRegistry(mongo.db);
    await until('the first heartbeat', async () => (await registry.all()).find((s) => s._id === serverId));

    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    // a 1 s queue delay keeps requests in flight while the signal arrives
    const load = await fetch(`${url}/control/versions`, { method: 'POST', headers: auth, body: JSON.stringify(loadBody('fraud-detection', '1.0.0', { options: { maxQueueDelayMicros: 1_000_000 } })) });
    expect(load.status).toBe(200);
    const predict = () =>
      fetch(`${url}/v1/models/fraud-detection/versions/1.0.0/predict`, { method: 'POST', headers: auth, body: JSON.stringify({ features: FRAUD }) }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { prediction?: unknown },
      }));
    const inFlight = Array.from({ length: 5 }, predict);
    await until('requests in flight', async () => {
      const r = await fetch(`${url}/control/versions`, { headers: auth });
      return ((await r.json()) as { versions: { inFlight: number }[] }).versions[0].inFlight === 5;
    });

    child.kill('SIGTERM');
    const draining = await until('the draining heartbeat', async () => (await registry.all()).find((s) => s._id === serverId && s.health === 'draining'), 5_000);
    expect(draining.loaded).toHaveLength(1);
    const served = await Promise.all(inFlight);
    expect(served.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(served[0].body.prediction).toBeDefined();
    expect(await exited).toBe(0);
    expect((await registry.all()).find((s) => s._id === serverId)).toBeUndefined();
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    expect(log).toMatch(/"msg":"model server stopped"/);
  }, 120_000);

  it('exits 78 with one clear line when the configuration is invalid', async () => {
    const bad = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'model-server', 'main.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, MONGODB_URI: 'not-a-uri', SERVICE_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    bad.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => bad.once('exit', (c) => resolve(c)));
    expect(code).toBe(78);
    expect(err).toMatch(/Invalid configuration: MONGODB_URI/);
  }, 60_000);
});
