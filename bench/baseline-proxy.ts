/**
 * B2, the physical reference for two hops: a bare node:http server that forwards each
 * POST /predict to B1 over a keep-alive agent and relays the answer. No auth, routing, log or
 * metrics: what one extra Node process in the path costs on this machine, to read the gateway's
 * fixed-rate tail against.
 *
 * Env: BENCH_PORT (default 0), BENCH_HOST (127.0.0.1), BENCH_UPSTREAM (B1's URL).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const upstream = new URL(process.env.BENCH_UPSTREAM ?? 'http://127.0.0.1:0');
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

const server = http.createServer({ keepAlive: true, noDelay: true }, (req, res) => {
  if (req.method === 'POST' && req.url === '/predict') {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      const up = http.request({ host: upstream.hostname, port: upstream.port, path: '/predict', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (c: Buffer) => parts.push(c));
        answer.on('end', () => {
          const out = Buffer.concat(parts);
          res.writeHead(answer.statusCode ?? 502, { 'content-type': 'application/json', 'content-length': out.length });
          res.end(out);
        });
      });
      up.on('error', (e) => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: e.message }));
      });
      up.end(body);
    });
  } else {
    req.resume();
    res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'text/plain' });
    res.end(req.url === '/health' ? 'ok' : 'not found');
  }
});
server.listen(Number(process.env.BENCH_PORT ?? 0), process.env.BENCH_HOST ?? '127.0.0.1', () => {
  process.stdout.write(`B2 proxy listening on ${(server.address() as AddressInfo).port}\n`);
});
