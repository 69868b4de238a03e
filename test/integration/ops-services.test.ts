import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ephemeralPortRange, freePorts, freeStablePorts, assertPortsFree, PortInUseError } from '../../ops/free-port';
import { isProcessAlive, isRecordedProcessAlive, killStaleProcesses, readPidFile, writePidFile } from '../../ops/pid-files';
import { ManagedProcess, ProcessStartError, type SupervisorEvent } from '../../ops/process-supervisor';
import { tcpProbe } from '../../ops/probes';
import { loadOrCreateSecrets } from '../../ops/secrets';
import { acquireStackLock, StackAlreadyRunningError } from '../../ops/stack-lock';
import { createTestMongo, makeTestDir, s3TestConfig, uniqueBucketName } from '../helpers/services';
import { until } from '../helpers/until';

const fixtures = path.join(__dirname, '..', 'fixtures', 'processes');

describe('FerretDB from global setup', () => {
  it('answers ping and stores documents through the mongodb driver', async () => {
    const mongo = await createTestMongo('ops');
    try {
      expect(await mongo.db.command({ ping: 1 })).toMatchObject({ ok: 1 });
      await mongo.db.collection('things').insertOne({ name: 'a', n: 1 });
      expect(await mongo.db.collection('things').findOne({ name: 'a' }, { projection: { _id: 0 } })).toEqual({ name: 'a', n: 1 });
    } finally {
      await mongo.close();
    }
  });
});

describe('SeaweedFS S3 from global setup', () => {
  it('accepts PutObject and GetObject with the generated credentials', async () => {
    const s3 = new S3Client(s3TestConfig());
    try {
      const Bucket = uniqueBucketName('ops');
      await s3.send(new CreateBucketCommand({ Bucket }));
      const body = Buffer.from([0, 1, 2, 250, 255]);
      await s3.send(new PutObjectCommand({ Bucket, Key: 'models/x/1.0.0/model.onnx', Body: body }));
      const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'models/x/1.0.0/model.onnx' }));
      expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(body);
    } finally {
      s3.destroy();
    }
  });

  it('rejects requests signed with a wrong secret', async () => {
    const config = s3TestConfig();
    const s3 = new S3Client({ ...config, credentials: { ...config.credentials, secretAccessKey: 'wrong-secret-key-0000000000' }, maxAttempts: 1 });
    try {
      await expect(s3.send(new CreateBucketCommand({ Bucket: uniqueBucketName('ops-denied') }))).rejects.toThrow();
    } finally {
      s3.destroy();
    }
  });
});

describe('process supervisor', () => {
  const running: ManagedProcess[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.stop()));
  });

  /** The tcp-server fixture on a kernel-assigned port. A fixed port chosen beforehand can be
   * taken by another process (or an outgoing connection's ephemeral port) while the child is
   * down for a restart; so readiness is "this pid announced its port, and that port answers". */
  function tcpServer(dir: string, extra: Partial<ConstructorParameters<typeof ManagedProcess>[0]> = {}): { child: ManagedProcess; lines: string[]; portOf: (pid: number) => number | undefined } {
    const lines: string[] = [];
    const portOf = (pid: number) => {
      const match = lines.map((l) => /^listening on (\d+) pid (\d+)$/.exec(l)).find((m) => m && Number(m[2]) === pid);
      return match ? Number(match[1]) : undefined;
    };
    const child: ManagedProcess = new ManagedProcess({
      name: 'tcp-server',
      command: process.execPath,
      args: [path.join(fixtures, 'tcp-server.mjs')],
      ready: async () => {
        const port = child.pid === undefined ? undefined : portOf(child.pid);
        return port !== undefined && tcpProbe('127.0.0.1', port)();
      },
      readyTimeoutMs: 10_000,
      pidFile: path.join(dir, 'tcp-server.pid'),
      ...extra,
      output: (line, stream) => {
        lines.push(line);
        extra.output?.(line, stream);
      },
      env: { PATH: process.env.PATH, PORT: '0', ...(extra.env ?? {}) },
    });
    running.push(child);
    return { child, lines, portOf };
  }

  it('restarts a child that crashed, with its pid file following', async () => {
    const dir = makeTestDir('ops-restart');
    const events: SupervisorEvent[] = [];
    const { child, lines, portOf } = tcpServer(dir, { restart: { initialDelayMs: 50 }, onEvent: (e) => events.push(e) });
    await child.start();
    const firstPid = child.pid!;
    expect(readPidFile(path.join(dir, 'tcp-server.pid'))?.pid).toBe(firstPid);
    expect(portOf(firstPid)).toBeDefined();

    process.kill(firstPid, 'SIGKILL');
    await until('the restarted child to be ready', () => events.some((e) => e.type === 'ready' && e.restart === 1));

    expect(events.map((e) => e.type)).toEqual(['ready', 'exited', 'restarting', 'ready']);
    expect({ exit: events[1], lines }).toMatchObject({ exit: { type: 'exited', expected: false, signal: 'SIGKILL' } });
    expect(child.restarts).toBe(1);
    expect(child.pid).not.toBe(firstPid);
    expect(await tcpProbe('127.0.0.1', portOf(child.pid!)!)()).toBe(true);
    expect(readPidFile(path.join(dir, 'tcp-server.pid'))?.pid).toBe(child.pid);

    const lastPid = child.pid!;
    await child.stop();
    expect(isProcessAlive(lastPid)).toBe(false);
    expect(fs.existsSync(path.join(dir, 'tcp-server.pid'))).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: 'exited', expected: true });
  });

  it('reports a child that exits before it is ready, with its last output', async () => {
    const child = new ManagedProcess({ name: 'fail-fast', command: process.execPath, args: [path.join(fixtures, 'fail-fast.mjs')], ready: async () => false });
    running.push(child);
    const error = await child.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessStartError);
    expect((error as Error).message).toBe('fail-fast failed to start: exited with code 78 before it was ready');
    expect((error as ProcessStartError).recentOutput).toContain('Invalid configuration: FOO is required');
  });

  it('refuses to start a child on a port another process listens on, rather than probe that process', async () => {
    const [port] = await freeStablePorts(1);
    expect(port).toBeLessThan(ephemeralPortRange().low); // no one else's bind(0) can take it
    const other = net.createServer((sock) => sock.destroy());
    await new Promise<void>((r) => other.listen(port, '127.0.0.1', () => r()));
    try {
      // The probe alone would succeed at once: it connects to the other listener.
      expect(await tcpProbe('127.0.0.1', port)()).toBe(true);
      const { child } = tcpServer(makeTestDir('ops-taken'), { listens: [{ host: '127.0.0.1', port }], ready: tcpProbe('127.0.0.1', port), env: { PORT: String(port) } });
      const error = await child.start().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProcessStartError);
      expect((error as Error).message).toBe(`tcp-server failed to start: 127.0.0.1:${port} is already in use by another process`);
      expect(child.pid).toBeUndefined();
      expect(child.running).toBe(false);
    } finally {
      await new Promise((r) => other.close(r));
    }
  });

  it('SIGKILLs a child that ignores SIGTERM after the grace period', async () => {
    const dir = makeTestDir('ops-kill');
    const events: SupervisorEvent[] = [];
    const { child, lines } = tcpServer(dir, { env: { IGNORE_SIGTERM: '1' }, stopGraceMs: 300, onEvent: (e) => events.push(e) });
    await child.start();
    const pid = child.pid!;
    const t0 = Date.now();
    await child.stop();
    const elapsedMs = Date.now() - t0;
    // One object, so a failure shows how the child actually ended (events and output).
    expect({ elapsedAtLeastGrace: elapsedMs >= 250, exit: events.find((e) => e.type === 'exited'), lines }).toMatchObject({
      elapsedAtLeastGrace: true,
      exit: { signal: 'SIGKILL', expected: true },
      lines: expect.arrayContaining(['ignoring SIGTERM']),
    });
    expect(isProcessAlive(pid)).toBe(false);
  });

  it('stops children left running by a supervisor that died (stale pid files)', async () => {
    const dir = makeTestDir('ops-stale');
    const { child: orphan } = tcpServer(dir);
    await orphan.start();
    const pid = orphan.pid!;
    // A new supervisor only sees the pid file, as after a crash of the first one.
    const stopped = await killStaleProcesses(dir);
    expect(stopped.map((r) => r.pid)).toEqual([pid]);
    expect(isProcessAlive(pid)).toBe(false);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('leaves alone a pid file whose pid now belongs to another program', async () => {
    const dir = makeTestDir('ops-reused');
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      writePidFile(path.join(dir, 'ghost.pid'), { pid: other.pid!, command: '/nonexistent/ferretdb', startedAt: '', owner: 1 });
      expect(await killStaleProcesses(dir)).toEqual([]);
      expect(isProcessAlive(other.pid!)).toBe(true);
      expect(fs.existsSync(path.join(dir, 'ghost.pid'))).toBe(false);
    } finally {
      other.kill('SIGKILL');
    }
  });
});

describe('stack lock', () => {
  it('refuses a second stack while the first is alive, and takes over a stale lock', async () => {
    const dir = makeTestDir('ops-lock');
    const first = acquireStackLock(dir, '/data');
    expect(first.stale).toBeUndefined();
    expect(fs.readFileSync(path.join(dir, 'stack.lock'), 'utf8')).toContain(`"pid":${process.pid}`);
    first.release();
    expect(fs.existsSync(path.join(dir, 'stack.lock'))).toBe(false);

    // Another live node process holds the lock.
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      await new Promise((r) => holder.once('spawn', r));
      fs.writeFileSync(path.join(dir, 'stack.lock'), JSON.stringify({ pid: holder.pid, command: process.execPath, startedAt: 'earlier', owner: holder.pid }));
      expect(() => acquireStackLock(dir, '/data')).toThrow(StackAlreadyRunningError);
      expect(() => acquireStackLock(dir, '/data')).toThrow(`HotSwap is already running for /data (pid ${holder.pid}, started earlier)`);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
    }

    // Its process is gone: the lock is stale and taken over.
    const second = acquireStackLock(dir, '/data');
    expect(second.stale?.pid).toBe(holder.pid);
    second.release();
    expect(fs.existsSync(path.join(dir, 'stack.lock'))).toBe(false);
  });
});

describe('ports and secrets', () => {
  it('names the variable of a port that is taken', async () => {
    const [free] = await freePorts(1);
    const net = await import('node:net');
    const server = net.createServer().listen(free, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      await expect(assertPortsFree([{ port: free, variable: 'API_PORT' }])).rejects.toThrow(
        new PortInUseError(free, 'API_PORT').message,
      );
      await expect(assertPortsFree([{ port: free, variable: 'API_PORT' }])).rejects.toThrow(/^Port \d+ \(API_PORT\) is already in use/);
    } finally {
      server.close();
    }
  });

  it('generates secrets once, keeps them private and reuses them', () => {
    const file = path.join(makeTestDir('ops-secrets'), 'secrets.json');
    const first = loadOrCreateSecrets(file);
    expect(first.created).toBe(true);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(first.secrets.JWT_SECRET, 'base64url')).toHaveLength(48);
    expect(first.secrets.BOOTSTRAP_ADMIN_PASSWORD.length).toBeGreaterThanOrEqual(12);
    expect(first.secrets.SERVICE_TOKEN.length).toBeGreaterThanOrEqual(16);
    expect(first.secrets).not.toHaveProperty('METRICS_TOKEN');
    const again = loadOrCreateSecrets(file);
    expect(again).toEqual({ secrets: first.secrets, created: false });
  });
});


describe('pid records survive pid reuse', () => {
  it('does not take a live process with another start time for the recorded one', () => {
    const record = { pid: process.pid, command: process.execPath, startedAt: new Date().toISOString(), owner: process.pid };
    const dir = makeTestDir('ops-reuse');
    writePidFile(path.join(dir, 'me.pid'), record);
    const stored = readPidFile(path.join(dir, 'me.pid'))!;
    expect(stored.startTicks).toEqual(expect.any(Number));
    expect(isRecordedProcessAlive(stored)).toBe(true);
    expect(isRecordedProcessAlive({ ...stored, startTicks: stored.startTicks! - 1 })).toBe(false);
  });
});
