/**
 * Polls `fn` until it returns something truthy (sync or async), and returns that; throws
 * "timed out waiting for <what>" after `timeoutMs`. The one wait-for-a-condition helper of the
 * tests (no fixed sleeps: a test waits exactly as long as the condition takes).
 */
export async function until<T>(what: string, fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 15_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
