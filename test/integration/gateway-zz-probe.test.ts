import { FRAUD, loadOn, registerExample, setRoute, startFleetServer, startGatewayApi } from '../helpers/gateway-harness';
import autocannon from 'autocannon';

it('probe', async () => {
  const t = await startGatewayApi();
  const admin = await t.tokenFor('Admin');
  const v1 = await registerExample(t, admin, 'fraud-detection', '1.0.0');
  const ms = await startFleetServer(t);
  await loadOn(ms, v1);
  await new Promise((r) => setTimeout(r, 500));
  await setRoute(t, admin, 'fraud-detection', { pools: [{ version: '1.0.0', weight: 100 }] });
  const body = JSON.stringify({ features: FRAUD });
  for (const [name, url, headers] of [
    ['direct', `${ms.url}/v1/models/fraud-detection/versions/1.0.0/predict`, {}],
    ['gateway', `${t.url}/api/v1/inference/fraud-detection`, { authorization: `Bearer ${admin}` }],
  ] as const) {
    let t0 = performance.now();
    for (let i = 0; i < 200; i++) await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).then((r) => r.text());
    console.log(name, 'sequential fetch ms/req', (performance.now() - t0) / 200);
    t0 = performance.now();
    await Promise.all(Array.from({ length: 25 }, () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).then((r) => r.text())));
    console.log(name, '25 parallel ms', performance.now() - t0);
    const r = await autocannon({ url, method: 'POST', connections: 32, duration: 3, headers: { 'content-type': 'application/json', ...headers }, body });
    console.log(name, 'autocannon in-process rps', r.requests.average, 'p99', r.latency.p99, 'non2xx', r.non2xx, 'errors', r.errors);
  }
  await t.close();
  await ms.close();
}, 120_000);
