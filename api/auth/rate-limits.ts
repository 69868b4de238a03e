import type { Db } from 'mongodb';
import { RateLimiterMemory, RateLimiterMongo, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError } from '../../domain/errors';
import type { ApiConfig } from '../../infra/config/schemas';
import type { Logger } from '../../infra/telemetry/logger';
import type { LimitName } from '../app';

export interface LimitInfo {
  limit: number;
  remaining: number;
}

const COLLECTION = 'rate_limits';
/** FerretDB has no TTL indexes: expired counters are then swept by a timer instead. */
const SWEEP_INTERVAL_MS = 5 * 60_000;

/**
 * The control plane's per-minute limits (register, deploy, login), each a chain of limiters
 * that must all admit the request:
 *
 * 1. An in-process RateLimiterMemory — exact within one process. It is there because
 *    FerretDB's findOneAndUpdate is not atomic under concurrency (measured: 10 parallel
 *    consumes against a limit of 3 admitted 6), so the shared counter alone under-counts bursts.
 * 2. A RateLimiterMongo on the product's own database, shared by all api replicas (exact on
 *    MongoDB, approximate under bursts on FerretDB). It works with the installed mongodb 7
 *    driver (findOneAndUpdate returns the document). If the database refuses it at start-up we
 *    fall back to memory only, and a RateLimiterMemory insurance limiter covers database
 *    outages at run time, so a Mongo blip never turns into 500s.
 *
 * Inference is limited elsewhere, per replica and in memory (inference-limiter.ts).
 */
export class RateLimits {
  private constructor(
    private readonly perMinute: Record<LimitName, number>,
    private readonly chains: Record<LimitName, RateLimiterAbstract[]>,
    private readonly sweeper?: NodeJS.Timeout,
  ) {}

  static async create(deps: { config: ApiConfig; db: Db; log: Logger }): Promise<RateLimits> {
    const { config, db, log } = deps;
    const perMinute: Record<LimitName, number> = {
      register: config.RATE_LIMIT_REGISTER_PER_MIN,
      deploy: config.RATE_LIMIT_DEPLOY_PER_MIN,
      login: config.RATE_LIMIT_LOGIN_PER_MIN,
    };
    const memory = (name: LimitName) => new RateLimiterMemory({ keyPrefix: `hotswap:${name}`, points: perMinute[name], duration: 60 });
    const shared = await prepareMongo(db, log);
    const chain = (name: LimitName): RateLimiterAbstract[] => {
      if (!shared.ok) return [memory(name)];
      const mongo = new RateLimiterMongo({
        storeClient: db,
        tableName: COLLECTION,
        keyPrefix: `hotswap:${name}`,
        points: perMinute[name],
        duration: 60,
        disableIndexesCreation: true, // created (and awaited) by prepareMongo
        insuranceLimiter: memory(name),
      });
      return [memory(name), mongo];
    };
    const chains: Record<LimitName, RateLimiterAbstract[]> = {
      register: chain('register'),
      deploy: chain('deploy'),
      login: chain('login'),
    };
    return new RateLimits(perMinute, chains, shared.sweeper);
  }

  /** Counts one request of `key` against limit `name`; throws RATE_LIMIT_EXCEEDED (429, Retry-After) when over. */
  async consume(name: LimitName, key: string): Promise<LimitInfo> {
    const limit = this.perMinute[name];
    let remaining = limit;
    for (const limiter of this.chains[name]) {
      try {
        remaining = Math.min(remaining, (await limiter.consume(key)).remainingPoints);
      } catch (e) {
        if (e instanceof RateLimiterRes) throw exceeded(name, limit, e.msBeforeNext);
        throw e;
      }
    }
    return { limit, remaining };
  }

  close(): void {
    if (this.sweeper) clearInterval(this.sweeper);
  }
}

/** The 429 of every limit: Retry-After (whole seconds, at least 1) and X-RateLimit-* headers. */
export function exceeded(name: LimitName | 'inference', limit: number, msBeforeNext: number): AppError {
  const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new AppError('RATE_LIMIT_EXCEEDED', `Rate limit of ${limit} ${name} requests per minute exceeded: retry in ${seconds} s`, [], {
    'Retry-After': String(seconds),
    'X-RateLimit-Limit': String(limit),
    'X-RateLimit-Remaining': '0',
  });
}

/** Creates the counter collection's indexes and checks the store answers; ok=false → memory only. */
async function prepareMongo(db: Db, log: Logger): Promise<{ ok: boolean; sweeper?: NodeJS.Timeout }> {
  const col = db.collection<{ key: string; expire: Date | null }>(COLLECTION);
  try {
    // Unique key: concurrent first requests of one key race on insert; the loser retries as an update.
    await col.createIndex({ key: 1 }, { unique: true, name: 'key_unique' });
    await col.findOne({ key: '__probe__' });
  } catch (err) {
    log.warn({ err }, 'rate limits: MongoDB store unavailable, using per-process memory limits');
    return { ok: false };
  }
  try {
    await col.createIndex({ expire: 1 }, { expireAfterSeconds: 0, name: 'expire_ttl' });
    return { ok: true };
  } catch {
    const sweep = () => void col.deleteMany({ expire: { $lt: new Date() } }).catch((err: unknown) => log.warn({ err }, 'rate limits: sweep failed'));
    const sweeper = setInterval(sweep, SWEEP_INTERVAL_MS);
    sweeper.unref(); // never keeps the process alive
    return { ok: true, sweeper };
  }
}
