import type { Principal } from '../../domain/permissions';
import { InferenceLimiter } from '../../api/auth/inference-limiter';

const user: Principal = { id: 'u-1', username: 'ann', role: 'DataScientist', via: 'password' };
const key: Principal = { id: 'apikey:a', username: 'apikey:app', role: 'Application', via: 'api-key' };

function limiter() {
  let now = 1_000_000;
  const l = new InferenceLimiter({ user: 3, apiKey: 60_000 }, () => now);
  return { l, at: (s: number) => (now = 1_000_000 + s * 1000) };
}

const retryAfter = (f: () => void): string | undefined => {
  try {
    f();
  } catch (e) {
    return (e as { code: string; headers: Record<string, string> }).code === 'RATE_LIMIT_EXCEEDED' ? (e as { headers: Record<string, string> }).headers['Retry-After'] : 'other error';
  }
  return undefined;
};

it('the worked example: limit 3; 0, 1, 2 s pass, 10 s gets 429 with Retry-After 50, 60 s starts a new minute', () => {
  const { l, at } = limiter();
  for (const s of [0, 1, 2]) {
    at(s);
    expect(retryAfter(() => l.spend(user))).toBeUndefined();
  }
  at(10);
  expect(retryAfter(() => l.spend(user))).toBe('50');
  at(59.9);
  expect(retryAfter(() => l.spend(user))).toBe('1'); // at least 1 s, rounded up
  at(60);
  expect(retryAfter(() => l.spend(user))).toBeUndefined();
});

it('does not count refused requests', () => {
  const { l, at } = limiter();
  at(0);
  for (let i = 0; i < 3; i++) l.spend(user);
  for (let i = 0; i < 10; i++) expect(retryAfter(() => l.spend(user))).toBe('60');
  at(60);
  for (let i = 0; i < 3; i++) expect(retryAfter(() => l.spend(user))).toBeUndefined();
});

it('uses a key’s own limit, else the default of its kind; callers do not share a budget', () => {
  const { l } = limiter();
  expect(l.limitOf(user)).toBe(3);
  expect(l.limitOf(key)).toBe(60_000);
  expect(l.limitOf({ ...key, inferenceRateLimitPerMin: 7 })).toBe(7);
  for (let i = 0; i < 3; i++) l.spend(user);
  expect(retryAfter(() => l.spend(user))).toBeDefined();
  for (let i = 0; i < 1000; i++) l.spend(key);
});

it('applies a changed limit to the minute already counted', () => {
  const { l } = limiter();
  const own = { ...key, inferenceRateLimitPerMin: 2 };
  l.spend(own);
  l.spend(own);
  expect(retryAfter(() => l.spend(own))).toBeDefined();
  const raised = { ...own, inferenceRateLimitPerMin: 4 };
  l.spend(raised);
  l.spend(raised);
  expect(retryAfter(() => l.spend(raised))).toBeDefined();
});

it('forgets callers whose minute ended (swept once a minute)', () => {
  const { l, at } = limiter();
  at(0);
  for (let i = 0; i < 100; i++) l.spend({ ...key, id: `apikey:${i}` });
  at(61);
  l.spend(user);
  expect((l as unknown as { windows: Map<string, unknown> }).windows.size).toBe(1);
});
