import fs from 'node:fs';
import path from 'node:path';
import { ManagedProcess } from '../process-supervisor';
import { tcpProbe } from '../probes';
import { toolPath } from '../repo-paths';
import type { ServiceOptions } from './service-options';

export interface FerretDb {
  process: ManagedProcess;
  port: number;
  /** mongodb://host:port/ — the database name is chosen by each client. */
  uri: string;
}

/**
 * FerretDB (MongoDB wire protocol) on the SQLite backend: one .sqlite file per database under
 * <dataDir>/. Telemetry off and no debug HTTP listener, so it needs exactly one port.
 * Not started yet: call `process.start()`.
 */
export function ferretDb(opts: ServiceOptions & { port: number }): FerretDb {
  const host = opts.host ?? '127.0.0.1';
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const dir = path.resolve(opts.dataDir);
  const args = [
    '--handler=sqlite',
    // WAL (FerretDB's default) with synchronous=NORMAL: a commit no longer waits for an fsync
    // (only checkpoints do), ~20 % less per write here; a power cut, not a crash, can lose the
    // last commits — right for a local development and test database.
    // cache_size 512 KiB per connection (SQLite's default is 2 MB): FerretDB keeps up to 100
    // connections open, and each one's page cache filled as the database grew, so its memory grew
    // with the data (+39 % over a soak). Under constant writes in WAL mode a connection's cache
    // is mostly invalidated anyway; the OS page cache serves the rereads.
    `--sqlite-url=file:${dir}/?_pragma=synchronous(NORMAL)&_pragma=cache_size(-512)`,
    `--state-dir=${dir}`,
    `--listen-addr=${host}:${opts.port}`,
    '--debug-addr=-',
    '--telemetry=disable',
    // WARN logs every closed probe connection and unsupported command; errors are what matter.
    '--log-level=ERROR',
  ];
  const managed = new ManagedProcess({
    name: 'ferretdb',
    command: toolPath('ferretdb', opts.env),
    args,
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir },
    listens: [{ host, port: opts.port }],
    ready: tcpProbe(host, opts.port),
    readyTimeoutMs: opts.readyTimeoutMs ?? 30_000,
    stopGraceMs: 5000,
    pidFile: opts.pidFile,
    output: opts.output,
    restart: opts.restart,
    onEvent: opts.onEvent,
  });
  return { process: managed, port: opts.port, uri: `mongodb://${host}:${opts.port}/` };
}
