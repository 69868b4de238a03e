/**
 * The `hotswap` CLI in this process against the real api (its own database, the run's services):
 * login and the stored session, whoami, registering the example models from their directories,
 * the registry's lists, --output json, and the one-line errors.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startTestApi, type TestApi } from '../helpers/api-harness';
import { runCliInProcess } from '../helpers/cli-runner';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples', 'models', 'fraud-detection');

let api: TestApi;
let home: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  api = await startTestApi();
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'hotswap-cli-home-'));
  env = { HOME: home, HOTSWAP_API: api.url };
});

afterAll(async () => {
  await api?.close();
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

const hotswap = (args: string[], input = '', extraEnv: NodeJS.ProcessEnv = {}) => runCliInProcess(args, { ...env, ...extraEnv }, input);

it('logs in (password on stdin), keeps the token in a 0600 file, and knows who it is', async () => {
  const wrong = await hotswap(['login', '--username', 'admin', '--password-stdin'], 'not-the-password\n');
  expect(wrong).toMatchObject({ code: 1, out: '' });
  expect(wrong.err).toMatch(/^error: Invalid username or password \(UNAUTHORIZED\) — log in with `hotswap login`\n$/);

  const login = await hotswap(['login', '--username', 'admin', '--password-stdin'], `${api.adminPassword}\n`);
  expect(login.err).toBe('');
  expect(login.code).toBe(0);
  expect(login.out).toContain(`logged in to ${api.url} as admin (Admin)`);
  const file = path.join(home, '.config', 'hotswap', 'session.json');
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ apiUrl: api.url, username: 'admin', role: 'Admin' });

  const whoami = await hotswap(['whoami']);
  expect(whoami).toEqual({ code: 0, out: `admin (Admin, via password) at ${api.url}\n`, err: '' });
  const json = JSON.parse((await hotswap(['whoami', '--output', 'json'])).out);
  expect(json).toMatchObject({ username: 'admin', role: 'Admin', via: 'password' });
});

it('registers a model from its directory, then a second version of it, and lists them', async () => {
  const first = await hotswap(['models', 'register', path.join(EXAMPLES, '1.0.0')]);
  expect(first.err).toBe('');
  expect(first.out).toMatch(/^registered model fraud-detection with version 1\.0\.0\n/);
  expect(first.out).toMatch(/checksum: sha256:[0-9a-f]{64}/);

  const second = JSON.parse((await hotswap(['models', 'register', path.join(EXAMPLES, '2.0.0'), '-o', 'json'])).out);
  expect(second).toMatchObject({ modelName: 'fraud-detection', version: '2.0.0', status: expect.any(String) });

  const versions = await api.call('GET', '/api/v1/models/fraud-detection/versions', { token: await api.tokenFor('Admin') });
  expect(versions.body.versions.map((v: { version: string }) => v.version).sort()).toEqual(['1.0.0', '2.0.0']);

  const list = await hotswap(['versions', 'list', 'fraud-detection']);
  expect(list.out.split('\n')[0]).toMatch(/^VERSION\s+STATUS\s+ALIASES\s+SIZE\s+CHECKSUM\s+CREATED$/);
  expect(list.out).toMatch(/^1\.0\.0\s+\S+/m);
  expect(list.out).toMatch(/^2\.0\.0\s+\S+/m);

  const shown = await hotswap(['versions', 'show', 'fraud-detection', '2.0.0']);
  expect(shown.out).toContain('features: transaction_amount, merchant_category, user_age_days, transaction_hour, is_international');

  const models = await hotswap(['models', 'list']);
  expect(models.out).toMatch(/^fraud-detection\s+/m);
  expect(models.out).toContain('1 model(s)');
  expect((await hotswap(['models', 'show', 'fraud-detection'])).out).toContain('name: fraud-detection');
  const deployments = JSON.parse((await hotswap(['deployments', 'list', '-o', 'json'])).out);
  expect(deployments).toMatchObject({ deployments: [], total: 0 });
});

it('answers a registry refusal, an unknown model and a missing API with one line each', async () => {
  const again = await hotswap(['models', 'register', path.join(EXAMPLES, '2.0.0')]);
  expect(again.code).toBe(1);
  expect(again.err).toMatch(/^error: .*2\.0\.0.* \(CONFLICT\) — .*\n$/);

  const missing = await hotswap(['models', 'show', 'no-such-model']);
  expect(missing).toMatchObject({ code: 1, out: '', err: 'error: Model does not exist: no-such-model (MODEL_NOT_FOUND) — check the name with `hotswap models list`\n' });

  const closed = `http://127.0.0.1:${await closedPort()}`;
  const unreachable = await hotswap(['whoami', '--api', closed], '', { HOTSWAP_TOKEN: 'x' });
  expect(unreachable.code).toBe(1);
  expect(unreachable.err).toBe(`error: cannot reach the API at ${closed} (ECONNREFUSED) — is \`npm start\` running? Point the CLI elsewhere with --api URL or HOTSWAP_API\n`);

  const noSession = await hotswap(['whoami', '--api', closed]);
  expect(noSession.err).toBe(`error: not logged in to ${closed} — run \`hotswap login\` (or set HOTSWAP_TOKEN)\n`);
});

/** A port nothing listens on (taken from the kernel, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
