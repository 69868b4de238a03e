import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import https from 'node:https';
import { startTestApi, type TestApi } from '../helpers/api-harness';

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(() => t.close());

describe('/health', () => {
  it('reports MongoDB, Temporal and the artifact store healthy with latencies', async () => {
    const res = await t.call('GET', '/health');
    expect(res.body.components.mongodb).toMatchObject({ status: 'healthy', required: true });
    expect(res.body.components.temporal).toMatchObject({ status: 'healthy', required: true });
    expect(res.body.components.artifactStore).toMatchObject({ status: 'healthy', required: true });
    expect(typeof res.body.components.mongodb.latencyMs).toBe('number');
    expect(res.body.components.modelServers.required).toBe(false);
    expect(res.status).toBe(200);
  });

  it('answers 503 when a required component (Temporal) is down', async () => {
    const broken = await startTestApi({ TEMPORAL_ADDRESS: '127.0.0.1:1', HEALTH_TIMEOUT_MS: '1500' });
    try {
      const res = await broken.call('GET', '/health');
      expect(res.status).toBe(503);
      expect(res.body.status).toBe('unhealthy');
      expect(res.body.components.temporal.status).toBe('unhealthy');
      expect(res.body.components.mongodb.status).toBe('healthy');
    } finally {
      await broken.close();
    }
  });

  it('counts a heartbeating model server that answers', async () => {
    const http = await import('node:http');
    const fake = http.createServer((_req, res) => res.end('{"status":"healthy"}'));
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(fake.address() as any).port}`;
    const servers = t.api.mongo.db.collection('model_servers');
    await servers.insertOne({ _id: 'probe-1' as any, schemaVersion: 1, url, loaded: [], health: 'healthy', startedAt: new Date(), heartbeatAt: new Date() });
    try {
      const res = await t.call('GET', '/health');
      expect(res.body.components.modelServers.servers).toEqual([expect.objectContaining({ id: 'probe-1', status: 'healthy' })]);
      expect(res.body.status).toBe('healthy');
    } finally {
      await servers.deleteOne({ _id: 'probe-1' as any });
      fake.close();
    }
  });
});

describe('edge behaviour', () => {
  it('serves Prometheus metrics with HTTP request metrics', async () => {
    await t.call('GET', '/api/v1/models', { token: await t.tokenFor('Application') });
    const res = await fetch(`${t.url}/metrics`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/models"/);
  });

  it('protects /metrics with METRICS_TOKEN when configured', async () => {
    const secured = await startTestApi({ METRICS_TOKEN: 'm'.repeat(24) });
    try {
      expect((await fetch(`${secured.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${secured.url}/metrics`, { headers: { authorization: `Bearer ${'m'.repeat(24)}` } })).status).toBe(200);
    } finally {
      await secured.close();
    }
  });

  it('publishes the OpenAPI document and a browsable UI', async () => {
    const doc = await t.call('GET', '/api/v1/openapi.json');
    expect(doc.body.openapi).toBe('3.0.3');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/api/v1/models', '/api/v1/models/{id}/versions', '/api/v1/authentication/login']));
    expect(doc.body.components.schemas.RegisterModelRequest.properties.name).toBeDefined();
    const ui = await fetch(`${t.url}/api/v1/docs/`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger-ui');
  });

  it('sets security headers and echoes request ids', async () => {
    const res = await fetch(`${t.url}/health/live`, { headers: { 'x-request-id': 'abc-123' } });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('x-request-id')).toBe('abc-123');
  });

  it('answers unknown routes with the error body', async () => {
    const res = await t.call('GET', '/api/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });

  it('serves HTTPS when a certificate and key are configured', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hotswap-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    const secure = await startTestApi({ TLS_CERT_FILE: join(dir, 'cert.pem'), TLS_KEY_FILE: join(dir, 'key.pem') });
    try {
      expect(secure.url).toMatch(/^https:/);
      const status = await new Promise<number>((resolve, reject) => {
        https.get(`${secure.url}/health/live`, { rejectUnauthorized: false }, (res) => {
          res.resume();
          expect(res.headers['strict-transport-security']).toBeDefined();
          resolve(res.statusCode!);
        }).on('error', reject);
      });
      expect(status).toBe(200);
    } finally {
      await secure.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
