/**
 * The live view of a deployment: polls GET /deployments/{id} and redraws the rendered frame in
 * place on a terminal (log-update), prints one line per change otherwise (pipes, CI logs), or
 * one JSON document per change with --output json. Ends when the rollout ends; the exit code
 * says how (watchExitCode).
 */
import type { DeploymentDetail } from '../api/services/deployment-service';
import type { ApiClient } from './api-client';
import type { CliIO, OutputFormat } from './context';
import { ApiError, ApiUnreachableError } from './errors';
import type { Colors } from './render/colors';
import { renderDeployment, rolloutEnded, summaryLine, watchExitCode, type Viewer } from './render/deployment-view';

export interface WatchOptions {
  intervalMs: number;
  output: OutputFormat;
  colors: Colors;
  /** How long the API may stay unreachable (or 5xx) before the watch gives up. */
  outageLimitMs: number;
  /** Stop (exit 0) once the deployment's status or phase is this one; a rollout that ends first exits 1. */
  until?: string;
}

/** Where frames go: redrawn in place, or appended. */
export interface Screen {
  frame(lines: string[], detail: DeploymentDetail): void;
  finish(lines: string[], detail: DeploymentDetail): void;
}

export async function watchDeployment(client: ApiClient, io: CliIO, id: string, o: WatchOptions): Promise<number> {
  const viewer = await whoAmI(client);
  const screen = o.output === 'json' ? jsonScreen(io) : io.isTTY ? await liveScreen(io) : lineScreen(io);
  let failingSince: number | null = null;
  let last: DeploymentDetail | null = null;
  for (;;) {
    try {
      last = await client.get<DeploymentDetail>(`/api/v1/deployments/${encodeURIComponent(id)}`);
      failingSince = null;
    } catch (e) {
      if (!transient(e) || last === null) throw e;
      failingSince ??= Date.now();
      if (Date.now() - failingSince > o.outageLimitMs) throw e;
    }
    const lines = renderDeployment(last, { colors: o.colors, viewer, now: new Date() });
    if (failingSince !== null) lines.push(o.colors.yellow('(the API does not answer; retrying)'));
    if (o.until !== undefined && (last.status === o.until || last.phase === o.until)) {
      screen.finish(lines, last);
      return 0;
    }
    if (rolloutEnded(last)) {
      screen.finish(lines, last);
      return o.until === undefined ? watchExitCode(last.status) : 1;
    }
    screen.frame(lines, last);
    await new Promise((r) => setTimeout(r, o.intervalMs));
  }
}

/** An outage worth waiting out: no answer, or a 5xx (a restarting api, Temporal away). */
function transient(e: unknown): boolean {
  return e instanceof ApiUnreachableError || (e instanceof ApiError && e.status >= 500);
}

async function whoAmI(client: ApiClient): Promise<Viewer> {
  try {
    const me = await client.get<{ id: string; role: string }>('/api/v1/authentication/me');
    return { id: me.id, role: me.role };
  } catch {
    return { id: null, role: null };
  }
}

async function liveScreen(io: CliIO): Promise<Screen> {
  // log-update is ES-module only; Node 20.19+ loads it from CommonJS (require of ESM).
  const { createLogUpdate } = await import('log-update');
  const update = createLogUpdate(io.stdoutStream, { showCursor: false });
  return {
    frame: (lines) => update(lines.join('\n')),
    finish: (lines) => {
      update(lines.join('\n'));
      update.done();
    },
  };
}

/** Pipes and logs: one summary line per change, then the final frame. */
export function lineScreen(io: Pick<CliIO, 'stdout'>): Screen {
  let previous = '';
  const line = (d: DeploymentDetail) => {
    const s = summaryLine(d);
    if (s !== previous) io.stdout(`${s}\n`);
    previous = s;
  };
  return {
    frame: (_lines, d) => line(d),
    finish: (lines, d) => {
      line(d);
      io.stdout(`${lines.join('\n')}\n`);
    },
  };
}

/** --output json: the deployment as one JSON line whenever it changed. */
export function jsonScreen(io: Pick<CliIO, 'stdout'>): Screen {
  let previous = '';
  const emit = (d: DeploymentDetail) => {
    const { liveMetrics: _live, ...stable } = d;
    const key = JSON.stringify(stable);
    if (key !== previous) io.stdout(`${JSON.stringify(d)}\n`);
    previous = key;
  };
  return { frame: (_l, d) => emit(d), finish: (_l, d) => emit(d) };
}
