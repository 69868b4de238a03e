import { isAppError, type AppError } from '../../domain/errors';
import type { GatewayMetrics } from './gateway-metrics';
import type { ServerDirectory } from './server-directory';
import type { Target } from './target';
import type { UpstreamHeaders } from './upstream';
import type { VersionClient } from './version-client';

/** What a coalesced request gets back. */
export type CoalescedAnswer =
  | { kind: 'answer'; prediction: unknown; confidence: unknown; serverId: string }
  /** The batch call failed in a way one row may have caused (4xx, 5xx): send this request alone. */
  | { kind: 'alone' }
  /** No server could take the batch (503 after the retry): the same fate as a single request. */
  | { kind: 'error'; error: AppError };

interface Waiter {
  input: unknown;
  resolve(a: CoalescedAnswer): void;
}

interface Lane {
  inFlight: number;
  queue: Waiter[];
}

export interface CoalescerOptions {
  /** Upstream calls in flight per server holding the version before requests start to coalesce. */
  inFlightPerServer: number;
  /** Most rows in one coalesced call; 1 turns coalescing off. */
  maxRows: number;
}

const JSON_TYPE = 'application/json';

/**
 * Gateway-side batching of single predictions, per version. While fewer than
 * `inFlightPerServer` × (servers holding the version) calls are in flight, a request goes to a
 * model server on its own at once — an idle gateway adds no delay. Beyond that, requests
 * queue, and each call that completes sends everything queued (up to `maxRows`) as one
 * `/predict/batch` call. Under load this divides the per-request HTTP work of both the gateway
 * and the model server (parsing, syscalls) by the batch size, the same bargain as the model
 * server's own dynamic batching one hop later.
 *
 * A batch answers row by row in order. When it fails as a whole with an error one bad row
 * could cause (4xx, 5xx), every request in it is sent again alone, so each caller gets the
 * answer — or the error — its own features deserve.
 */
export class Coalescer {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly deps: { client: VersionClient; directory: ServerDirectory; metrics: GatewayMetrics },
    private readonly opts: CoalescerOptions,
  ) {}

  private lane(versionId: string): Lane {
    let lane = this.lanes.get(versionId);
    if (!lane) this.lanes.set(versionId, (lane = { inFlight: 0, queue: [] }));
    return lane;
  }

  private limit(versionId: string): number {
    return this.opts.inFlightPerServer * Math.max(1, this.deps.directory.count(versionId));
  }

  /**
   * True when the request may go upstream alone now (the caller must then call `done`);
   * false when it should `wait` for a coalesced answer.
   */
  admit(target: Target): boolean {
    if (this.opts.maxRows <= 1) return true;
    const lane = this.lane(target.versionId);
    if (lane.inFlight < this.limit(target.versionId)) {
      lane.inFlight++;
      return true;
    }
    return false;
  }

  /** An admitted request's upstream call finished. */
  done(target: Target): void {
    if (this.opts.maxRows <= 1) return;
    const lane = this.lane(target.versionId);
    lane.inFlight--;
    this.flush(target, lane);
  }

  /** Queues a single prediction's features for the next coalesced call. */
  wait(target: Target, input: unknown): Promise<CoalescedAnswer> {
    const lane = this.lane(target.versionId);
    const p = new Promise<CoalescedAnswer>((resolve) => lane.queue.push({ input, resolve }));
    this.flush(target, lane);
    return p;
  }

  private flush(target: Target, lane: Lane): void {
    while (lane.queue.length > 0 && lane.inFlight < this.limit(target.versionId)) {
      const batch = lane.queue.splice(0, this.opts.maxRows);
      lane.inFlight++;
      void this.send(target, batch).finally(() => {
        lane.inFlight--;
        this.flush(target, lane);
      });
    }
  }

  private async send(target: Target, batch: Waiter[]): Promise<void> {
    this.deps.metrics.coalesced(batch.length);
    let body = '{"instances":[';
    for (let i = 0; i < batch.length; i++) body += (i === 0 ? '' : ',') + JSON.stringify(batch[i].input);
    body += ']}';
    const headers: UpstreamHeaders = { 'content-type': JSON_TYPE };
    try {
      const up = await this.deps.client.call(target, 'POST', target.batchPath, headers, Buffer.from(body));
      if (up.status === 200) {
        const answer = JSON.parse(up.body.toString('utf8')) as { predictions?: unknown[]; confidences?: unknown[] };
        const { predictions, confidences } = answer;
        if (Array.isArray(predictions) && predictions.length === batch.length) {
          for (let i = 0; i < batch.length; i++) batch[i].resolve({ kind: 'answer', prediction: predictions[i], confidence: confidences?.[i] ?? null, serverId: up.upstream.id });
          return;
        }
      }
      for (const w of batch) w.resolve({ kind: 'alone' });
    } catch (e) {
      for (const w of batch) w.resolve(isAppError(e) && e.code === 'SERVICE_UNAVAILABLE' ? { kind: 'error', error: e } : { kind: 'alone' });
    }
  }
}
