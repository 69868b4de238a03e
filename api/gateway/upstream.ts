import http from 'node:http';

/** Why a request to a model server produced no response. */
export type UpstreamFailure = 'connect' | 'reset' | 'timeout';

export class UpstreamError extends Error {
  constructor(
    readonly kind: UpstreamFailure,
    readonly upstream: Upstream,
    cause?: unknown,
  ) {
    super(`model server ${upstream.id} (${upstream.url}): ${kind}${cause instanceof Error ? `: ${cause.message}` : ''}`);
    this.name = 'UpstreamError';
  }
}

export interface UpstreamResponse {
  status: number;
  body: Buffer;
  upstream: Upstream;
}

/** Free keep-alive sockets are closed after this idle time, before the model server's 65 s. */
const IDLE_SOCKET_MS = 60_000;
const CONNECTION_REFUSED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL']);

/**
 * One model server as the gateway sees it: its keep-alive connection pool (node:http Agent),
 * the number of requests outstanding on it (least-outstanding balancing), and a short ejection
 * after it refused a connection, so other requests stop trying a server that just died.
 */
export class Upstream {
  readonly host: string;
  readonly port: number;
  outstanding = 0;
  ejectedUntil = 0;
  /** Set when the server left the directory; its agent is destroyed once nothing is outstanding. */
  retired = false;
  private readonly agent: http.Agent;

  constructor(
    readonly id: string,
    readonly url: string,
  ) {
    const u = new URL(url);
    this.host = u.hostname;
    this.port = Number(u.port || 80);
    this.agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 1000, maxFreeSockets: 256, timeout: IDLE_SOCKET_MS, scheduling: 'lifo' });
  }

  /**
   * Sends one request and buffers the whole response. Rejects with UpstreamError when no
   * complete response arrived: `connect` (refused: the server is not there), `reset` (the
   * connection broke before the response was complete — a dying server, or a keep-alive socket
   * it closed just as we reused it) or `timeout` (no progress for `timeoutMs`).
   */
  send(method: string, path: string, headers: http.OutgoingHttpHeaders, body: Buffer | null, timeoutMs: number): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (kind: UpstreamFailure, cause?: unknown) => {
        if (settled) return;
        settled = true;
        reject(new UpstreamError(kind, this, cause));
      };
      const req = http.request({ host: this.host, port: this.port, method, path, headers, agent: this.agent }, (res) => {
        let first: Buffer | null = null;
        let chunks: Buffer[] | null = null;
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (first === null) first = c;
          else (chunks ??= [first]).push(c);
        });
        res.once('end', () => {
          if (settled) return;
          settled = true;
          resolve({ status: res.statusCode ?? 502, body: chunks ? Buffer.concat(chunks, size) : (first ?? Buffer.alloc(0)), upstream: this });
        });
        res.once('error', (e) => fail('reset', e));
        res.once('close', () => {
          if (!res.complete) fail('reset');
        });
      });
      req.once('error', (e: NodeJS.ErrnoException) => fail(e.code !== undefined && CONNECTION_REFUSED.has(e.code) ? 'connect' : 'reset', e));
      req.setTimeout(timeoutMs, () => {
        fail('timeout');
        req.destroy();
      });
      req.end(body ?? undefined);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
