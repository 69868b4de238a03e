import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { configDir, readSession, resolveApiUrl, resolveToken, sessionFile, writeSession } from '../../cli/config-store';
import { CliContext, pickEnum } from '../../cli/context';
import { UsageError } from '../../cli/errors';
import { inferenceBody, parseFeatureArgs } from '../../cli/feature-args';
import { runCli } from '../../cli/program';
import { readModelDirectory, versionPart } from '../../cli/registration';
import { DEPLOYMENT_STRATEGIES, ENVIRONMENTS } from '../../domain/deployments/enums';

const EXAMPLE = path.join(__dirname, '..', '..', 'examples', 'models', 'fraud-detection', '2.0.0');

describe('parseFeatureArgs', () => {
  it('types numbers, booleans, null and JSON, and keeps the rest as strings', () => {
    expect(parseFeatureArgs(['amount=1500.5', 'n=-3', 'e=1e3', 'intl=false', 'ok=true', 'x=null', 'v=[1,2]', 'o={"a":1}', 'cat=retail', 'eq=a=b', 'empty='])).toEqual({
      amount: 1500.5, n: -3, e: 1000, intl: false, ok: true, x: null, v: [1, 2], o: { a: 1 }, cat: 'retail', eq: 'a=b', empty: '',
    });
  });

  it.each([['noequals'], ['=value'], ['v=[1,']])('refuses %s as a usage error', (arg) => {
    expect(() => parseFeatureArgs([arg])).toThrow(UsageError);
  });
});

it('makes an inference body of a --file document', () => {
  expect(inferenceBody({ a: 1 })).toEqual({ features: { a: 1 } });
  expect(inferenceBody({ features: { a: 1 }, version: '1.0.0' })).toEqual({ features: { a: 1 }, version: '1.0.0' });
  expect(inferenceBody({ instances: [{ a: 1 }] })).toEqual({ instances: [{ a: 1 }] });
  expect(() => inferenceBody([1])).toThrow(UsageError);
  expect(() => inferenceBody(null)).toThrow(UsageError);
});

it('picks enum values ignoring case and dashes', () => {
  expect(pickEnum('blue-green', DEPLOYMENT_STRATEGIES, 'strategy')).toBe('BlueGreen');
  expect(pickEnum('production', ENVIRONMENTS, 'environment')).toBe('Production');
  expect(() => pickEnum('prod', ENVIRONMENTS, 'environment')).toThrow('unknown environment "prod"');
});

describe('config store', () => {
  let home: string;
  beforeEach(() => (home = fs.mkdtempSync(path.join(os.tmpdir(), 'hotswap-cli-'))));
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it('uses XDG_CONFIG_HOME when absolute, else ~/.config', () => {
    expect(configDir({ XDG_CONFIG_HOME: '/x/cfg', HOME: '/h' })).toBe('/x/cfg/hotswap');
    expect(configDir({ XDG_CONFIG_HOME: 'relative', HOME: '/h' })).toBe('/h/.config/hotswap');
    expect(configDir({ HOME: '/h' })).toBe('/h/.config/hotswap');
  });

  it('writes the session readable by the user only, also over an existing file', () => {
    const env = { HOME: home };
    expect(readSession(env)).toBeNull();
    fs.mkdirSync(configDir(env), { recursive: true });
    fs.writeFileSync(sessionFile(env), '{}', { mode: 0o644 });
    expect(readSession(env)).toBeNull();
    const file = writeSession(env, { apiUrl: 'http://a:1', token: 't', username: 'u', role: 'Admin', expiresAt: null });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(readSession(env)).toEqual({ apiUrl: 'http://a:1', token: 't', username: 'u', role: 'Admin', expiresAt: null });
  });

  it('resolves the API and never sends a token to another API', () => {
    const session = { apiUrl: 'http://a:1', token: 't', username: 'u', role: null, expiresAt: null };
    expect(resolveApiUrl('http://flag/', { HOTSWAP_API: 'http://env' }, session)).toBe('http://flag');
    expect(resolveApiUrl(undefined, { HOTSWAP_API: 'http://env/' }, session)).toBe('http://env');
    expect(resolveApiUrl(undefined, {}, session)).toBe('http://a:1');
    expect(resolveApiUrl(undefined, {}, null)).toBe('http://localhost:8080');
    expect(resolveToken('http://a:1', {}, session)).toBe('t');
    expect(resolveToken('http://b:1', {}, session)).toBeUndefined();
    expect(resolveToken('http://b:1', { HOTSWAP_TOKEN: 'env' }, session)).toBe('env');
  });
});

it("reads a model directory and keeps the version's part of its metadata", () => {
  const dir = readModelDirectory(EXAMPLE);
  expect(dir.name).toBe('fraud-detection');
  expect(dir.artifactPath).toBe(path.join(EXAMPLE, 'model.onnx'));
  const part = versionPart(dir.metadata);
  expect(part.version).toBe('2.0.0');
  expect(part).toHaveProperty('inputSchema');
  for (const modelField of ['name', 'framework', 'type', 'tags', 'description']) expect(part).not.toHaveProperty(modelField);
  expect(() => readModelDirectory(path.join(EXAMPLE, 'nope'))).toThrow('does not exist');
  expect(() => readModelDirectory(EXAMPLE, '/nonexistent/model.onnx')).toThrow('/nonexistent/model.onnx does not exist');
});

/** The JSON body the CLI sent. */
const sentBody = (init: RequestInit): unknown => JSON.parse(init.body as string);

/** Runs the CLI in this process with a fake fetch; returns what it printed and the exit code. */
async function cli(args: string[], answer: (url: string, init: RequestInit) => Response = () => new Response('{}'), env: NodeJS.ProcessEnv = { HOME: '/nonexistent', HOTSWAP_TOKEN: 'tok' }) {
  let out = '';
  let err = '';
  const calls: { url: string; init: RequestInit }[] = [];
  const fetchImpl = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return answer(url, init);
  }) as unknown as typeof fetch;
  const ctx = new CliContext(env, { stdout: (s) => (out += s), stderr: (s) => (err += s), isTTY: false, stdin: new PassThrough(), stdoutStream: new PassThrough() }, fetchImpl);
  const code = await runCli(args, ctx);
  return { code, out, err, calls };
}

describe('command lines', () => {
  it('exits 0 on --help and --version, 2 on a usage error with one line on stderr', async () => {
    expect((await cli(['--help'])).code).toBe(0);
    expect((await cli(['--version'])).out).toBe('0.1.0\n');
    const unknown = await cli(['deploy', 'm', '1.0.0', '--strategy', 'Canary']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("required option '--env <name>' not specified");
    const badEnv = await cli(['deploy', 'm', '1.0.0', '--strategy', 'canary', '--env', 'prod']);
    expect(badEnv).toMatchObject({ code: 2, err: 'error: unknown environment "prod" — use one of Development, Staging, Production\n' });
    expect(badEnv.calls).toEqual([]);
    expect((await cli(['predict', 'm'])).code).toBe(2);
    expect((await cli(['nonsense'])).code).toBe(2);
  });

  it('sends the deployment the API expects and prints how to follow it', async () => {
    const created = { deploymentId: 'dep-1', modelName: 'm', version: '1.0.0', strategy: 'BlueGreen', environment: 'Staging', temporalUiUrl: 'http://ui/x' };
    const r = await cli(['--api', 'http://api:1', 'deploy', 'm', '1.0.0', '--strategy', 'blue-green', '--env', 'staging'], () => new Response(JSON.stringify(created), { status: 202 }));
    expect(r.code).toBe(0);
    expect(r.calls[0].url).toBe('http://api:1/api/v1/deployments');
    expect(r.calls[0].init.method).toBe('POST');
    expect((r.calls[0].init.headers as Record<string, string>).authorization).toBe('Bearer tok');
    expect(sentBody(r.calls[0].init)).toEqual({ modelId: 'm', versionId: '1.0.0', strategy: 'BlueGreen', environment: 'Staging' });
    expect(r.out).toContain('follow it: hotswap deployments watch dep-1');
  });

  it('prints the JSON answer as it came with --output json', async () => {
    const body = { modelId: 'm-1', versions: [] };
    const r = await cli(['versions', 'list', 'm', '-o', 'json'], () => new Response(JSON.stringify(body)));
    expect(JSON.parse(r.out)).toEqual(body);
  });

  it('prints the API error as one line and exits 1', async () => {
    const r = await cli(['approve', 'dep-1', '--reason', 'mine'], () =>
      new Response(JSON.stringify({ error: { code: 'FORBIDDEN', message: 'Approval needs an Admin other than the initiator', details: [] } }), { status: 403 }),
    );
    expect(r).toMatchObject({ code: 1, out: '', err: 'error: Approval needs an Admin other than the initiator (FORBIDDEN) — your role does not allow this: ask an Admin, or log in as another user\n' });
    expect(sentBody(r.calls[0].init)).toEqual({ reason: 'mine' });
  });

  it('override sends the gate and the reason; an unknown gate is a usage error', async () => {
    const r = await cli(['override', 'dep-1', '--gate', 'latency', '--reason', 'batch job'], () => new Response(JSON.stringify({ deploymentId: 'dep-1', validationResult: { passed: true }, accepted: true })));
    expect(r).toMatchObject({ code: 0, out: 'dep-1: latency overridden; validation passed\n' });
    expect(String(r.calls[0].url)).toMatch(/\/api\/v1\/deployments\/dep-1\/override$/);
    expect(sentBody(r.calls[0].init)).toEqual({ gate: 'latency', reason: 'batch job' });
    const bad = await cli(['override', 'dep-1', '--gate', 'speed', '--reason', 'x'], () => new Response('{}'));
    expect(bad.code).not.toBe(0);
    expect(bad.calls).toEqual([]);
  });

  it('refuses to call without credentials', async () => {
    const r = await cli(['whoami'], undefined, { HOME: '/nonexistent' });
    expect(r).toMatchObject({ code: 1, err: 'error: not logged in to http://localhost:8080 — run `hotswap login` (or set HOTSWAP_TOKEN)\n' });
  });

  it('types the features of predict and pins a version', async () => {
    const answer = { requestId: 'r', modelName: 'm', version: '1.0.0', prediction: { label: 'fraud', probabilities: { fraud: 0.9, legit: 0.1 } }, confidence: 0.9, latencyMs: 3 };
    const r = await cli(['predict', 'm', '--features', 'a=1', 'b=x', '--model-version', '1.0.0', '--env', 'staging'], () => new Response(JSON.stringify(answer)));
    expect(r.calls[0].url).toBe('http://localhost:8080/api/v1/inference/m?environment=Staging');
    expect(sentBody(r.calls[0].init)).toEqual({ features: { a: 1, b: 'x' }, version: '1.0.0' });
    expect(r.out).toBe('m 1.0.0: label fraud (confidence 0.900000)\nprobabilities: fraud 0.900000, legit 0.100000\nrequest r, 3.0 ms\n');
  });

  it('creates a user with the role named, password from stdin', async () => {
    const r = await cli(['users', 'create', 'eve', '--role', 'mlengineer'], () => new Response(JSON.stringify({ id: 'u1', username: 'eve', role: 'MLEngineer' }), { status: 201 }), { HOTSWAP_TOKEN: 't', HOTSWAP_NEW_PASSWORD: 'pw-0123456789ab' });
    expect(sentBody(r.calls[0].init)).toEqual({ username: 'eve', password: 'pw-0123456789ab', role: 'MLEngineer' });
    expect(r.out).toBe('created eve (MLEngineer), id u1\n');
  });

  it('sends the list filters as query parameters', async () => {
    const r = await cli(['deployments', 'list', '--model', 'm', '--status', 'rolledback', '--env', 'production', '--all'], () => new Response(JSON.stringify({ deployments: [], total: 0 })));
    expect(r.calls[0].url).toBe('http://localhost:8080/api/v1/deployments?model=m&status=RolledBack&environment=Production&scope=all&limit=20');
    expect(r.out).toBe('no deployments\n');
  });
});
