#!/usr/bin/env node
// Container health probe for the HotSwap image (api, worker, model servers).
//
//   node /usr/local/lib/hotswap/healthcheck.cjs [url ...]
//
// Exits 0 as soon as one of the URLs answers 2xx within the timeout, 1 otherwise.
// Without arguments it probes the api (http://127.0.0.1:8080/health). When METRICS_TOKEN
// is set it is sent as a bearer token, so a token-protected /metrics can serve as the
// worker's probe. Node 20 has fetch built in, so the image needs no curl/wget.
'use strict';

const urls = process.argv.slice(2);
if (urls.length === 0) urls.push('http://127.0.0.1:8080/health');
const timeoutMs = Number(process.env.HEALTHCHECK_TIMEOUT_MS) || 2500;
const headers = process.env.METRICS_TOKEN ? { authorization: `Bearer ${process.env.METRICS_TOKEN}` } : {};

async function probe(url) {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) throw new Error(`${url} -> HTTP ${res.status}`);
  return url;
}

Promise.any(urls.map(probe)).then(
  (url) => {
    process.stdout.write(`healthy: ${url}\n`);
    process.exit(0);
  },
  (err) => {
    const reasons = err instanceof AggregateError ? err.errors : [err];
    process.stderr.write(`unhealthy: ${reasons.map((e) => (e && e.message) || String(e)).join('; ')}\n`);
    process.exit(1);
  },
);
