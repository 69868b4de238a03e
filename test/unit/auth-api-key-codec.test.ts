import { generateApiKey, hashSecret, parseApiKey, secretMatches } from '../../api/auth/api-key-codec';

describe('API key codec', () => {
  it('generates hs_<24 hex id>_<43+ char base64url secret> keys that parse back', () => {
    const k = generateApiKey();
    expect(k.plaintext).toMatch(/^hs_[0-9a-f]{24}_[A-Za-z0-9_-]{43}$/);
    expect(parseApiKey(k.plaintext)).toEqual({ keyId: k.keyId, secret: k.secret });
    expect(Buffer.from(k.secret, 'base64url')).toHaveLength(32);
  });

  it('parses secrets that contain the separator character', () => {
    const key = `hs_${'a'.repeat(24)}_${'_'.repeat(10)}${'b'.repeat(33)}`;
    expect(parseApiKey(key)).toEqual({ keyId: 'a'.repeat(24), secret: `${'_'.repeat(10)}${'b'.repeat(33)}` });
  });

  it.each([
    ['', 'empty'],
    ['hs_abc_def', 'short id and secret'],
    [`hs_${'A'.repeat(24)}_${'x'.repeat(43)}`, 'upper-case id'],
    [`xx_${'a'.repeat(24)}_${'x'.repeat(43)}`, 'wrong prefix'],
    [`hs_${'a'.repeat(24)}_${'x'.repeat(42)}`, 'secret too short'],
    [`hs_${'a'.repeat(24)}_${'x'.repeat(43)}=`, 'padding character'],
  ])('rejects %j (%s)', (key) => {
    expect(parseApiKey(key)).toBeUndefined();
  });

  it('stores only a sha256 of the secret and compares it in constant time', () => {
    const k = generateApiKey();
    expect(k.secretHash).toBe(hashSecret(k.secret));
    expect(k.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(k.secretHash).not.toContain(k.secret);
    expect(secretMatches(k.secret, k.secretHash)).toBe(true);
    expect(secretMatches(`${k.secret}x`, k.secretHash)).toBe(false);
    expect(secretMatches(k.secret, 'abcd')).toBe(false);
  });

  it('never generates the same key twice', () => {
    const keys = new Set(Array.from({ length: 200 }, () => generateApiKey().plaintext));
    expect(keys.size).toBe(200);
  });
});
