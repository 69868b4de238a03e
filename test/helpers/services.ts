/**
 * Access to the real services that test/setup/global-setup.ts starts once per run.
 * Each test isolates itself with its own database / bucket / task queue name.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient, type Db } from 'mongodb';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: the integration services were not started (test/setup/global-setup.ts; HOTSWAP_TEST_SERVICES=0 skips them)`);
  return value;
}

/** mongodb://127.0.0.1:<port>/ of the test FerretDB. */
export function testMongoUri(): string {
  return required('HOTSWAP_TEST_MONGODB_URI');
}

/** host:port of the test Temporal dev server (namespace "default", HotSwap search attributes registered). */
export function testTemporalAddress(): string {
  return required('HOTSWAP_TEST_TEMPORAL_ADDRESS');
}

/** Absolute path of the Temporal time-skipping test server binary. */
export function testTemporalTestServerPath(): string {
  return required('HOTSWAP_TEST_TEMPORAL_TEST_SERVER');
}

let counter = 0;
function uniqueSuffix(): string {
  return `${process.pid.toString(36)}${(counter++).toString(36)}${randomBytes(3).toString('hex')}`;
}

/** A database name no other test uses: letters, digits, `_` and `-`, at most 63 characters. */
export function uniqueDbName(prefix = 'test'): string {
  const clean = prefix.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
  return `${clean}_${uniqueSuffix()}`;
}

/** An S3 bucket name no other test uses (lowercase, 3-63 characters). */
export function uniqueBucketName(prefix = 'test'): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'test';
  return `${clean}-${uniqueSuffix()}`;
}

/** A Temporal task queue no other test uses. */
export function uniqueTaskQueue(prefix = 'test'): string {
  return `${prefix}-${uniqueSuffix()}`;
}

export interface TestMongo {
  client: MongoClient;
  db: Db;
  dbName: string;
  /** Drops the database and closes the client. */
  close(): Promise<void>;
}

/** A connected client and a fresh database on the test FerretDB. */
export async function createTestMongo(prefix = 'test'): Promise<TestMongo> {
  const client = new MongoClient(testMongoUri(), { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  const dbName = uniqueDbName(prefix);
  const db = client.db(dbName);
  return {
    client,
    db,
    dbName,
    async close() {
      await db.dropDatabase().catch(() => undefined);
      await client.close();
    },
  };
}

export interface S3TestConfig {
  endpoint: string;
  region: string;
  forcePathStyle: true;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/** Options for `new S3Client(...)` against the test SeaweedFS. */
export function s3TestConfig(): S3TestConfig {
  return {
    endpoint: required('HOTSWAP_TEST_S3_ENDPOINT'),
    region: process.env.HOTSWAP_TEST_S3_REGION || 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: required('HOTSWAP_TEST_S3_ACCESS_KEY_ID'), secretAccessKey: required('HOTSWAP_TEST_S3_SECRET_ACCESS_KEY') },
  };
}

/** The same settings as the S3_* variables of infra/config/schemas.ts (ARTIFACT_STORE=s3). */
export function s3TestEnv(bucket: string): NodeJS.ProcessEnv {
  const c = s3TestConfig();
  return {
    ARTIFACT_STORE: 's3',
    S3_ENDPOINT: c.endpoint,
    S3_REGION: c.region,
    S3_BUCKET: bucket,
    S3_ACCESS_KEY_ID: c.credentials.accessKeyId,
    S3_SECRET_ACCESS_KEY: c.credentials.secretAccessKey,
    S3_FORCE_PATH_STYLE: 'true',
  };
}

/** A fresh folder inside this run's test data dir (or the OS temp dir without services). */
export function makeTestDir(prefix = 'tmp'): string {
  const base = process.env.HOTSWAP_TEST_DATA_DIR ? path.join(process.env.HOTSWAP_TEST_DATA_DIR, 'tmp') : os.tmpdir();
  fs.mkdirSync(base, { recursive: true });
  return fs.mkdtempSync(path.join(base, `${prefix.replace(/[^A-Za-z0-9_-]/g, '_')}-`));
}
