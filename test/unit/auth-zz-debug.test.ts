import { createRemoteJWKSet, jwtVerify } from 'jose';
it('dbg', async () => {
  const jwks = createRemoteJWKSet(new URL('http://127.0.0.1:1/jwks'));
  try { await jwtVerify('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln', jwks); } catch (e: any) { console.log(e.constructor.name, e.name, e.code, e.message, e instanceof Error, Object.prototype.toString.call(e)); }
});
