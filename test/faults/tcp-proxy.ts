/**
 * A TCP proxy that can be cut: the honest way to make a service unreachable without touching
 * the service. Cut closes the listener (new connections are refused) and resets every open
 * connection, as a dead host or a firewall reject would; restore listens again on the same port.
 * Why our own (50 lines of node:net) rather than Toxiproxy: a Go binary to build and run for
 * one behaviour, refuse and reset, that node:net gives directly.
 */
import net from 'node:net';

export class ProxyListenError extends Error {
  constructor(port: number, cause: Error) {
    super(`proxy could not listen on 127.0.0.1:${port}: ${cause.message}`);
    this.name = 'ProxyListenError';
  }
}

export class TcpProxy {
  private server: net.Server | undefined;
  private starting: Promise<void> | undefined;
  private readonly sockets = new Set<net.Socket>();

  /** `port` is where clients connect (a stable port: it is listened on again after a cut). */
  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  get url(): string {
    return `127.0.0.1:${this.port}`;
  }

  get cut(): boolean {
    return this.server === undefined;
  }

  /** Listens (again); concurrent calls share one attempt. */
  start(): Promise<void> {
    if (this.server) return Promise.resolve();
    this.starting ??= new Promise<void>((resolve, reject) => {
      const server = net.createServer((client) => this.pipe(client));
      server.once('error', (e) => reject(new ProxyListenError(this.port, e)));
      server.listen({ port: this.port, host: '127.0.0.1', exclusive: true }, () => {
        this.server = server;
        resolve();
      });
    }).finally(() => (this.starting = undefined));
    return this.starting;
  }

  /** Refuses new connections and resets the open ones. */
  async cutOff(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.resetAndDestroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async restore(): Promise<void> {
    await this.start();
  }

  async stop(): Promise<void> {
    await this.cutOff();
  }

  private pipe(client: net.Socket): void {
    const upstream = net.connect(this.target);
    this.sockets.add(client).add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
