import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Upstream, UpstreamError } from '../../api/gateway/upstream';

const listen = async (server: http.Server | net.Server) => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};
const close = (server: http.Server | net.Server) => new Promise<void>((r) => server.close(() => r()));
const TOKEN = 'service-token-0123456789';

describe('Upstream (lean HTTP/1.1 client)', () => {
  let server: http.Server;
  let url: string;
  let connections = 0;
  const seen: http.IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.headers);
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.url === '/chunked') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"a":');
          setTimeout(() => res.end('1}'), 5);
        } else if (req.url === '/close') {
          res.writeHead(503, { connection: 'close', 'content-type': 'application/json' });
          res.end('{"error":"draining"}');
        } else if (req.url === '/slow') {
          setTimeout(() => res.end('late'), 500);
        } else if (req.url === '/empty') {
          res.writeHead(204);
          res.end();
        } else {
          const payload = JSON.stringify({ echo: body, method: req.method, url: req.url });
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
          res.end(payload);
        }
      });
    });
    server.on('connection', () => connections++);
    url = await listen(server);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await close(server);
  });

  it('sends method, path, headers (the service token on every request) and body; reads a Content-Length response; reuses the connection', async () => {
    const up = new Upstream('s1', url, TOKEN);
    const before = connections;
    for (let i = 0; i < 5; i++) {
      const r = await up.send('POST', '/v1/x?y=1', { 'content-type': 'application/json', 'x-request-id': `r${i}` }, Buffer.from(`{"i":${i}}`), 5000);
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body.toString())).toEqual({ echo: `{"i":${i}}`, method: 'POST', url: '/v1/x?y=1' });
      expect(r.upstream).toBe(up);
    }
    expect(connections - before).toBe(1);
    expect(seen.at(-1)).toMatchObject({ 'x-request-id': 'r4', 'content-length': '7', host: url.slice(7), authorization: `Bearer ${TOKEN}` });
    expect(seen.slice(-5).every((h) => h.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(up.idleConnections).toBe(1);
    up.close();
  });

  it('opens one connection per concurrent request and keeps them for reuse', async () => {
    const up = new Upstream('s1', url, TOKEN);
    const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => up.send('POST', '/p', {}, Buffer.from(String(i)), 5000)));
    expect(rs.map((r) => JSON.parse(r.body.toString()).echo)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    expect(up.idleConnections).toBe(8);
    up.close();
    expect(up.idleConnections).toBe(0);
  });

  it('GET without a body sends no content-length', async () => {
    const up = new Upstream('s1', url, TOKEN);
    const r = await up.send('GET', '/meta', { 'x-request-id': 'g' }, null, 5000);
    expect(JSON.parse(r.body.toString())).toMatchObject({ method: 'GET', echo: '' });
    expect(seen.at(-1)!['content-length']).toBeUndefined();
    up.close();
  });

  it('decodes a chunked response, and an empty 204', async () => {
    const up = new Upstream('s1', url, TOKEN);
    const r = await up.send('GET', '/chunked', {}, null, 5000);
    expect(r.body.toString()).toBe('{"a":1}');
    const e = await up.send('GET', '/empty', {}, null, 5000);
    expect(e.status).toBe(204);
    expect(e.body.length).toBe(0);
    const again = await up.send('GET', '/x', {}, null, 5000);
    expect(again.status).toBe(200);
    up.close();
  });

  it('does not reuse a connection the server asked to close', async () => {
    const up = new Upstream('s1', url, TOKEN);
    const r = await up.send('GET', '/close', {}, null, 5000);
    expect(r.status).toBe(503);
    expect(r.body.toString()).toBe('{"error":"draining"}');
    expect(up.idleConnections).toBe(0);
    up.close();
  });

  it('survives the server closing idle keep-alive connections', async () => {
    const up = new Upstream('s1', url, TOKEN);
    await up.send('GET', '/x', {}, null, 5000);
    expect(up.idleConnections).toBe(1);
    server.closeIdleConnections();
    await new Promise((r) => setTimeout(r, 50));
    expect(up.idleConnections).toBe(0);
    expect((await up.send('GET', '/x', {}, null, 5000)).status).toBe(200);
    up.close();
  });

  it('times out a request that makes no progress', async () => {
    const up = new Upstream('s1', url, TOKEN);
    const e = await up.send('GET', '/slow', {}, null, 100).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(UpstreamError);
    expect((e as UpstreamError).kind).toBe('timeout');
    up.close();
  });

  it('refuses header values with control characters', async () => {
    const up = new Upstream('s1', url, TOKEN);
    await expect(up.send('GET', '/x', { 'x-evil': 'a\r\nx-injected: 1' }, null, 1000)).rejects.toThrow(TypeError);
    up.close();
  });
});

describe('Upstream failures', () => {
  it('reports a refused connection as connect', async () => {
    const probe = net.createServer();
    const url = await listen(probe);
    await close(probe);
    const up = new Upstream('gone', url, TOKEN);
    const e = await up.send('POST', '/p', {}, Buffer.from('{}'), 1000).catch((err: unknown) => err);
    expect((e as UpstreamError).kind).toBe('connect');
    up.close();
  });

  it('reports a connection broken mid-response as reset', async () => {
    const raw = net.createServer((s) => {
      s.once('data', () => {
        s.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{"partial":');
        setTimeout(() => s.destroy(), 10);
      });
    });
    const url = await listen(raw);
    const up = new Upstream('dying', url, TOKEN);
    const e = await up.send('POST', '/p', {}, Buffer.from('{}'), 1000).catch((err: unknown) => err);
    expect((e as UpstreamError).kind).toBe('reset');
    up.close();
    await close(raw);
  });

  it('reads a response delimited by the connection closing (HTTP/1.0 style)', async () => {
    const raw = net.createServer((s) => {
      s.once('data', () => s.end('HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nhello'));
    });
    const url = await listen(raw);
    const up = new Upstream('old', url, TOKEN);
    const r = await up.send('GET', '/', {}, null, 1000);
    expect(r.body.toString()).toBe('hello');
    expect(up.idleConnections).toBe(0);
    up.close();
    await close(raw);
  });

  it('treats a malformed response as reset', async () => {
    const raw = net.createServer((s) => s.once('data', () => s.write('SMTP ready\r\n\r\n')));
    const url = await listen(raw);
    const up = new Upstream('odd', url, TOKEN);
    const e = await up.send('GET', '/', {}, null, 1000).catch((err: unknown) => err);
    expect((e as UpstreamError).kind).toBe('reset');
    up.close();
    await close(raw);
  });

  it('accepts only http:// URLs', () => {
    expect(() => new Upstream('x', 'https://127.0.0.1:1', TOKEN)).toThrow(/http:\/\//);
  });
});
