import fs from 'node:fs';
import net from 'node:net';

/** A port the OS reports free on `host` right now (it may be taken again before use). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await freePorts(1, host);
  return port;
}

/** `count` distinct free ports: every socket stays open until all are allocated, so the
 * OS cannot hand out the same port twice. */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, host, () => resolve());
      });
      ports.push((server.address() as net.AddressInfo).port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** True when nothing listens on host:port (binding 0.0.0.0 also detects 127.0.0.1 listeners). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export class PortInUseError extends Error {
  constructor(readonly port: number, readonly variable: string, label?: string) {
    super(`Port ${port} (${label ?? variable}) is already in use: stop what listens there or set ${variable} to another port.`);
    this.name = 'PortInUseError';
  }
}

export interface PortClaim {
  port: number;
  /** The environment variable that chooses this port, named in the error. */
  variable: string;
  /** How to name the port when it is derived from the variable, e.g. "server-2: MODEL_SERVER_PORT+1". */
  label?: string;
  host?: string;
}

/** Throws PortInUseError for the first claimed port that is taken, or for a port claimed twice. */
export async function assertPortsFree(claims: PortClaim[]): Promise<void> {
  const seen = new Map<number, string>();
  for (const c of claims) {
    const other = seen.get(c.port);
    const label = c.label ?? c.variable;
    if (other !== undefined) throw new PortInUseError(c.port, c.variable, `${label}, also chosen by ${other}`);
    seen.set(c.port, label);
    if (!(await isPortFree(c.port, c.host ?? '127.0.0.1'))) throw new PortInUseError(c.port, c.variable, c.label);
  }
}

/** The kernel's ephemeral range (what bind(0) and outgoing connections draw from). */
export function ephemeralPortRange(): { low: number; high: number } {
  try {
    const [low, high] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && low > 1024) return { low, high };
  } catch {
    /* not Linux: the IANA range */
  }
  return { low: 49152, high: 65535 };
}

/**
 * Free ports below the ephemeral range, for servers that must get the same port back after a
 * restart: while one is down, no bind(0) or outgoing connection elsewhere on the machine can
 * be handed its port (a port from freePort() can be, and then the restarted server would find
 * it taken, or a client would reach whatever took it).
 */
export async function freeStablePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const { low } = ephemeralPortRange();
  const from = Math.min(20_000, low - 1000);
  const ports = new Set<number>();
  for (let tries = 0; ports.size < count; tries++) {
    if (tries >= 100 * count) throw new Error(`no ${count} free ports found in ${from}-${low - 1}`);
    const port = from + Math.floor(Math.random() * (low - from));
    if (!ports.has(port) && (await isPortFree(port, host))) ports.add(port);
  }
  return [...ports];
}

/** One port of freeStablePorts. */
export async function freeStablePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await freeStablePorts(1, host);
  return port;
}
