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
