import { AppError } from '../../domain/errors';

export type HeaderBag = Record<string, string | string[] | undefined>;

export type Credential = { kind: 'bearer'; token: string } | { kind: 'api-key'; key: string };

const single = (bag: HeaderBag, name: string): string | undefined => {
  const v = bag[name];
  if (Array.isArray(v)) throw new AppError('UNAUTHORIZED', `Send the ${name} header once`);
  return v;
};

/**
 * Reads the one credential a request carries: `Authorization: Bearer <jwt>`,
 * `Authorization: ApiKey <key>` or `X-API-Key: <key>`. Header names must be lower-case (as
 * node:http delivers them). Two credentials at once are refused rather than guessing which
 * identity the caller meant.
 */
export function extractCredential(headers: HeaderBag): Credential | undefined {
  const apiKeyHeader = single(headers, 'x-api-key');
  const authorization = single(headers, 'authorization');
  if (apiKeyHeader !== undefined && authorization !== undefined)
    throw new AppError('UNAUTHORIZED', 'Send either an Authorization header or an X-API-Key header, not both');
  if (apiKeyHeader !== undefined) {
    const key = apiKeyHeader.trim();
    if (!key) throw new AppError('UNAUTHORIZED', 'X-API-Key header is empty');
    return { kind: 'api-key', key };
  }
  if (authorization === undefined) return undefined;
  const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(authorization);
  if (!match) throw new AppError('UNAUTHORIZED', 'Authorization header must be "Bearer <token>" or "ApiKey <key>"');
  const scheme = match[1].toLowerCase();
  if (scheme === 'bearer') return { kind: 'bearer', token: match[2] };
  if (scheme === 'apikey') return { kind: 'api-key', key: match[2] };
  throw new AppError('UNAUTHORIZED', `Unsupported authorization scheme "${match[1].slice(0, 20)}": use Bearer or ApiKey`);
}
