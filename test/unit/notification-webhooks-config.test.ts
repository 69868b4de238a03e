import { createHmac } from 'node:crypto';
import { ConfigError, parseEnv } from '../../infra/config/load';
import { resolveWebhookSecrets } from '../../infra/config/notify-webhooks';
import { workerConfigSchema } from '../../infra/config/schemas';
import { signWebhook, verifyWebhook } from '../../infra/notifications/webhook-signature';
import { targetsFor } from '../../infra/notifications/webhook-targets';

const base = { MONGODB_URI: 'mongodb://127.0.0.1:27017/', SERVICE_TOKEN: 's'.repeat(20) };
const hooks = (value: unknown) => parseEnv(workerConfigSchema, { ...base, NOTIFY_WEBHOOKS: JSON.stringify(value) }).NOTIFY_WEBHOOKS;

describe('NOTIFY_WEBHOOKS', () => {
  it('defaults to no webhooks', () => {
    expect(parseEnv(workerConfigSchema, base).NOTIFY_WEBHOOKS).toEqual([]);
  });

  it('lists the targets per environment, named by default, secrets by variable name', () => {
    expect(
      hooks({
        Production: [{ url: 'https://hooks.example/a', secretEnv: 'HOOK_SECRET' }, { url: 'https://hooks.slack.example/b', format: 'slack', events: ['deployment.rolled_back'] }],
        '*': [{ url: 'http://ops.example/all', format: 'generic', secretEnv: 'OPS_SECRET', name: 'ops' }],
      }),
    ).toEqual([
      { name: 'Production-0', environment: 'Production', url: 'https://hooks.example/a', format: 'generic', secretEnv: 'HOOK_SECRET', events: null },
      { name: 'Production-1', environment: 'Production', url: 'https://hooks.slack.example/b', format: 'slack', secretEnv: null, events: ['deployment.rolled_back'] },
      { name: 'ops', environment: '*', url: 'http://ops.example/all', format: 'generic', secretEnv: 'OPS_SECRET', events: null },
    ]);
  });

  it.each([
    ['not JSON', 'expected JSON'],
    [{ Prod: [] }, 'Prod'],
    [{ Production: [{ url: 'ftp://x.example' }] }, 'Production.0.url'],
    [{ Production: [{ url: 'https://x.example' }] }, 'Production.0.secretEnv: a generic webhook is signed'],
    [{ Production: [{ url: 'https://x.example', format: 'teams', secretEnv: 'S' }] }, 'Production.0.format'],
    [{ Production: [{ url: 'https://x.example', format: 'slack', events: ['deployment.exploded'] }] }, 'Production.0.events.0'],
    [{ Production: [{ url: 'https://x.example', format: 'slack', secret: 'inline-secret' }] }, 'Production.0'],
    [{ Production: [{ url: 'https://x.example', format: 'slack', name: 'a' }], Staging: [{ url: 'https://y.example', format: 'slack', name: 'a' }] }, 'two webhooks are named "a"'],
  ])('refuses %j, naming the problem', (value, fragment) => {
    expect(() => parseEnv(workerConfigSchema, { ...base, NOTIFY_WEBHOOKS: typeof value === 'string' ? value : JSON.stringify(value) })).toThrow(ConfigError);
    try {
      parseEnv(workerConfigSchema, { ...base, NOTIFY_WEBHOOKS: typeof value === 'string' ? value : JSON.stringify(value) });
    } catch (e) {
      expect((e as ConfigError).variable).toBe('NOTIFY_WEBHOOKS');
      expect((e as ConfigError).message).toContain(fragment);
    }
  });

  it('reads each secret from the variable it names; a missing or short one names that variable', () => {
    const configured = hooks({ Production: [{ url: 'https://hooks.example/a', secretEnv: 'HOOK_SECRET' }, { url: 'https://s.example', format: 'slack' }] });
    expect(resolveWebhookSecrets(configured, { HOOK_SECRET: 'x'.repeat(32) }).map((t) => t.secret)).toEqual(['x'.repeat(32), null]);
    expect(() => resolveWebhookSecrets(configured, {})).toThrow(new ConfigError('HOOK_SECRET', 'is required: the secret of webhook "Production-0" (NOTIFY_WEBHOOKS), at least 16 characters'));
    expect(() => resolveWebhookSecrets(configured, { HOOK_SECRET: 'short' })).toThrow(/HOOK_SECRET is too short/);
  });

  it('a target receives the events of its environment (or every one with "*") and of its types', () => {
    const targets = resolveWebhookSecrets(hooks({ Production: [{ url: 'https://p.example', format: 'slack', events: ['deployment.failed'] }], '*': [{ url: 'https://all.example', format: 'slack' }] }), {});
    expect(targetsFor(targets, { environment: 'Production', type: 'deployment.failed' }).map((t) => t.url)).toEqual(['https://p.example', 'https://all.example']);
    expect(targetsFor(targets, { environment: 'Production', type: 'deployment.promoted' }).map((t) => t.url)).toEqual(['https://all.example']);
    expect(targetsFor(targets, { environment: 'Staging', type: 'deployment.failed' }).map((t) => t.url)).toEqual(['https://all.example']);
  });
});

describe('webhook signatures', () => {
  const secret = 'k'.repeat(32);
  const body = '{"type":"deployment.promoted"}';

  it('is the hex HMAC-SHA256 of "<timestamp>.<body>"', () => {
    expect(signWebhook(secret, 1765108800, body)).toBe(`sha256=${createHmac('sha256', secret).update(`1765108800.${body}`).digest('hex')}`);
  });

  it.each([
    ['a fresh, intact request', {}, { valid: true }],
    ['a changed body', { body: '{"type":"deployment.failed"}' }, { valid: false, reason: 'mismatch' }],
    ['another secret', { secret: 'z'.repeat(32) }, { valid: false, reason: 'mismatch' }],
    ['a replay 10 minutes later', { nowSeconds: 1765108800 + 600 }, { valid: false, reason: 'stale' }],
    ['a changed timestamp', { timestamp: '1765108801' }, { valid: false, reason: 'mismatch' }],
    ['no signature', { signature: undefined }, { valid: false, reason: 'missing' }],
  ])('verifies %s', (_name, change, expected) => {
    const request = { secret, body, signature: signWebhook(secret, 1765108800, body) as string | undefined, timestamp: '1765108800', nowSeconds: 1765108800 + 30, ...change };
    expect(verifyWebhook(request)).toEqual(expected);
  });
});
