import { extractCredential } from '../../api/auth/credentials';

describe('extractCredential', () => {
  it('returns undefined without credentials', () => {
    expect(extractCredential({})).toBeUndefined();
    expect(extractCredential({ 'content-type': 'application/json' })).toBeUndefined();
  });

  it.each([
    [{ authorization: 'Bearer abc.def.ghi' }, { kind: 'bearer', token: 'abc.def.ghi' }],
    [{ authorization: 'bearer  abc.def.ghi ' }, { kind: 'bearer', token: 'abc.def.ghi' }],
    [{ authorization: 'ApiKey hs_x_y' }, { kind: 'api-key', key: 'hs_x_y' }],
    [{ authorization: 'apikey hs_x_y' }, { kind: 'api-key', key: 'hs_x_y' }],
    [{ 'x-api-key': ' hs_x_y ' }, { kind: 'api-key', key: 'hs_x_y' }],
  ])('reads %j', (headers, expected) => {
    expect(extractCredential(headers)).toEqual(expected);
  });

  it.each([
    [{ authorization: 'Basic dXNlcjpwYXNz' }, /Unsupported authorization scheme "Basic"/],
    [{ authorization: 'Bearer' }, /must be "Bearer <token>"/],
    [{ authorization: 'Bearer a b' }, /must be "Bearer <token>"/],
    [{ 'x-api-key': '' }, /empty/],
    [{ 'x-api-key': ['a', 'b'] }, /once/],
    [{ authorization: 'Bearer t', 'x-api-key': 'k' }, /not both/],
  ])('refuses %j with 401', (headers, message) => {
    let err: unknown;
    try {
      extractCredential(headers);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'UNAUTHORIZED', status: 401, message: expect.stringMatching(message) });
  });
});
