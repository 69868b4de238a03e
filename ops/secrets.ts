import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Secrets the local stack generates once and keeps in <dataDir>/secrets.json (mode 0600).
 * METRICS_TOKEN is deliberately absent: metrics stay open locally unless the user sets it. */
export interface StackSecrets {
  JWT_SECRET: string;
  SERVICE_TOKEN: string;
  BOOTSTRAP_ADMIN_PASSWORD: string;
}

const generators: { [K in keyof StackSecrets]: () => string } = {
  JWT_SECRET: () => randomBytes(48).toString('base64url'),
  SERVICE_TOKEN: () => randomBytes(32).toString('base64url'),
  BOOTSTRAP_ADMIN_PASSWORD: () => randomBytes(15).toString('base64url'),
};

/** Reads the secrets file, generating whatever is missing (all of it on first start), and
 * makes sure only the owner can read it. Returns `created: true` when it wrote anything. */
export function loadOrCreateSecrets(file: string): { secrets: StackSecrets; created: boolean } {
  let stored: Partial<Record<keyof StackSecrets, unknown>> = {};
  if (fs.existsSync(file)) {
    try {
      stored = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof stored;
    } catch (e) {
      throw new Error(`${file} is not valid JSON (${(e as Error).message}); fix or delete it`);
    }
  }
  let created = false;
  const secrets = {} as StackSecrets;
  for (const key of Object.keys(generators) as Array<keyof StackSecrets>) {
    const value = stored[key];
    if (typeof value === 'string' && value.length > 0) secrets[key] = value;
    else {
      secrets[key] = generators[key]();
      created = true;
    }
  }
  if (created) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify({ ...stored, ...secrets }, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, file);
  }
  fs.chmodSync(file, 0o600);
  return { secrets, created };
}
