import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { freePorts } from '../free-port';
import { ManagedProcess } from '../process-supervisor';
import { allProbes, httpProbe, type Probe } from '../probes';
import { toolPath } from '../repo-paths';
import type { ServiceOptions } from './service-options';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SeaweedFs {
  process: ManagedProcess;
  /** http://host:port of the S3 gateway (path-style addressing). */
  endpoint: string;
  region: string;
  credentials: S3Credentials;
}

export function generateS3Credentials(): S3Credentials {
  return {
    accessKeyId: `HS${randomBytes(9).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64url'),
  };
}

/**
 * SeaweedFS `weed mini` (master, volume, filer and S3 in one process) with static S3
 * credentials from an identities file. Every listener gets an explicit free port: the
 * defaults (9333, 8333, 8181 Iceberg, 9101 Lance, 23646 admin, +10000 for gRPC) clash with
 * anything else on the machine. Iceberg, Lance and WebDAV are off, telemetry off.
 * Not started yet: call `process.start()`.
 */
export async function seaweedFs(opts: ServiceOptions & { s3Port?: number; credentials?: S3Credentials }): Promise<SeaweedFs> {
  const host = opts.host ?? '127.0.0.1';
  const dir = path.resolve(opts.dataDir);
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  const credentials = opts.credentials ?? generateS3Credentials();
  const configFile = path.join(dir, 's3-identities.json');
  const identities = {
    identities: [
      {
        name: 'hotswap',
        credentials: [{ accessKey: credentials.accessKeyId, secretKey: credentials.secretAccessKey }],
        actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'],
      },
    ],
  };
  fs.writeFileSync(configFile, JSON.stringify(identities, null, 2), { mode: 0o600 });
  // weed mini remembers its last flags here and would reload them over ours.
  fs.rmSync(path.join(dir, 'data', 'mini.options'), { force: true });

  const [master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3Grpc, admin, adminGrpc, s3Free] = await freePorts(10, host);
  const s3Port = opts.s3Port ?? s3Free;
  const args = [
    'mini',
    `-dir=${path.join(dir, 'data')}`,
    `-ip=${host}`,
    `-ip.bind=${host}`,
    `-master.port=${master}`,
    `-master.port.grpc=${masterGrpc}`,
    '-master.telemetry=false',
    '-master.volumeSizeLimitMB=64',
    '-volume.preStopSeconds=0',
    `-volume.port=${volume}`,
    `-volume.port.grpc=${volumeGrpc}`,
    `-filer.port=${filer}`,
    `-filer.port.grpc=${filerGrpc}`,
    `-filer.localSocket=${path.join(dir, 'filer.sock')}`,
    `-s3.port=${s3Port}`,
    `-s3.port.grpc=${s3Grpc}`,
    '-s3.port.iceberg=0',
    '-s3.port.lance=0',
    `-s3.localSocket=${path.join(dir, 's3.sock')}`,
    `-s3.config=${configFile}`,
    '-admin.ui=false',
    `-admin.port=${admin}`,
    `-admin.port.grpc=${adminGrpc}`,
    '-webdav=false',
  ];
  const endpoint = `http://${host}:${s3Port}`;
  const region = 'us-east-1';
  const managed = new ManagedProcess({
    name: 'seaweedfs',
    command: toolPath('weed', opts.env),
    args,
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir },
    ready: allProbes(httpProbe(endpoint), s3ReadyProbe(endpoint, region, credentials)),
    readyTimeoutMs: opts.readyTimeoutMs ?? 60_000,
    stopGraceMs: 5000,
    pidFile: opts.pidFile,
    output: opts.output,
    quietWhileStopping: true,
    restart: opts.restart,
    onEvent: opts.onEvent,
  });
  return { process: managed, endpoint, region, credentials };
}

/** Up when a signed ListBuckets succeeds, i.e. the gateway has loaded our identities. */
function s3ReadyProbe(endpoint: string, region: string, credentials: S3Credentials): Probe {
  return async () => {
    const client = new S3Client({ endpoint, region, credentials, forcePathStyle: true, maxAttempts: 1 });
    try {
      await client.send(new ListBucketsCommand({}), { abortSignal: AbortSignal.timeout(3000) });
      return true;
    } catch {
      return false;
    } finally {
      client.destroy();
    }
  };
}
