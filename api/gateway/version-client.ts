import { AppError } from '../../domain/errors';
import type { GatewayMetrics, RetryReason } from './gateway-metrics';
import type { ServerDirectory } from './server-directory';
import type { Target } from './target';
import { UpstreamError, type Upstream, type UpstreamHeaders, type UpstreamResponse } from './upstream';

/**
 * A model server answers 503 while draining (or while the version drains) and 404 when the
 * version is not (or no longer) loaded on it: both mean "not here", never "bad request".
 */
const retryableStatus = (status: number) => status === 503 || status === 404;

/**
 * Sends a request for a version to the best server holding it, and retries ONCE on another
 * server of the same version when the first could not be reached, broke the connection before
 * answering, or said "not here" (inference is idempotent). A server dying therefore costs no
 * failed request as long as a second server holds the version. A timeout is not retried: the
 * server is slow, not gone, and a retry would double the load that made it slow.
 */
export class VersionClient {
  constructor(
    private readonly directory: ServerDirectory,
    private readonly metrics: GatewayMetrics,
    private readonly timeoutMs: number,
  ) {}

  async call(target: Target, method: string, path: string, headers: UpstreamHeaders, body: Buffer | null): Promise<UpstreamResponse> {
    // The common case stays synchronous up to the send: a server is known for the version.
    const first = this.directory.pick(target.versionId) ?? (await this.choose(target, undefined));
    let reason: RetryReason;
    first.outstanding++;
    try {
      const r = await first.send(method, path, headers, body, this.timeoutMs);
      if (r.status === 401) throw credentialRefused(first);
      if (!retryableStatus(r.status)) return r;
      reason = r.status === 404 ? 'not_loaded' : 'unavailable';
    } catch (e) {
      if (!(e instanceof UpstreamError)) throw e;
      if (e.kind === 'timeout') throw timedOut(target, this.timeoutMs);
      if (e.kind === 'connect') this.directory.eject(first);
      reason = e.kind;
    } finally {
      this.done(first);
    }
    this.metrics.retry(reason);
    const second = await this.choose(target, first);
    second.outstanding++;
    try {
      const r = await second.send(method, path, headers, body, this.timeoutMs);
      if (r.status === 401) throw credentialRefused(second);
      if (!retryableStatus(r.status)) return r;
    } catch (e) {
      if (!(e instanceof UpstreamError)) throw e;
      if (e.kind === 'timeout') throw timedOut(target, this.timeoutMs);
      if (e.kind === 'connect') this.directory.eject(second);
    } finally {
      this.done(second);
    }
    throw unavailable(target, 'no model server holding it could answer');
  }

  private async choose(target: Target, exclude: Upstream | undefined): Promise<Upstream> {
    let up = this.directory.pick(target.versionId, exclude);
    if (!up) {
      await this.directory.refreshOnMiss();
      up = this.directory.pick(target.versionId, exclude);
    }
    if (!up) throw unavailable(target, 'no live model server holds it Ready');
    return up;
  }

  private done(up: Upstream): void {
    up.outstanding--;
    if (up.retired && up.outstanding === 0) up.close();
  }
}

const unavailable = (t: Target, why: string) =>
  new AppError('SERVICE_UNAVAILABLE', `Model ${t.modelName} version ${t.version} is unavailable: ${why}`, [], { 'Retry-After': '1' });
/**
 * A model server refused the gateway's service credential: SERVICE_TOKEN differs between the api
 * and that server. Not the caller's fault, so never passed on as the caller's 401.
 */
const credentialRefused = (up: Upstream) =>
  new AppError('INTERNAL_ERROR', `Model server ${up.id} refused the gateway's service token: SERVICE_TOKEN must be the same for the api and the model servers`);
const timedOut = (t: Target, ms: number) =>
  new AppError('SERVICE_UNAVAILABLE', `Model ${t.modelName} version ${t.version} did not answer within ${ms} ms`, [], { 'Retry-After': '1' });
