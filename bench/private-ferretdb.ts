import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { freePort } from '../ops/free-port';
import { ferretDb } from '../ops/services/ferretdb';

/**
 * Runs `work` against a FerretDB of its own (temp dir, free port, the project's build and
 * settings), then stops it and removes its files: the standalone FerretDB micro-benches.
 */
export async function withPrivateFerretDb(prefix: string, work: (client: MongoClient, pid: number) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const db = ferretDb({ dataDir: dir, port: await freePort() });
  await db.process.start();
  const client = await MongoClient.connect(db.uri);
  try {
    await work(client, db.process.pid!);
  } finally {
    await client.close();
    await db.process.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A standalone script's entry: a failure prints and exits 1. */
export function runScript(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
