import type { ErrorCode } from '../domain/errors';

/** A failure the CLI reports as one line and an exit code, never a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    /** What the user can do about it. */
    readonly hint: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Bad arguments: exit code 2, like commander's own usage errors. */
export class UsageError extends CliError {
  constructor(message: string, hint = 'see `hotswap --help`') {
    super(message, hint, 2);
    this.name = 'UsageError';
  }
}

/** The API answered with the spec's error body `{error: {code, message, details, traceId}}`. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    /** A code of the catalogue (ErrorCode), or a newer one this CLI does not know yet. */
    readonly code: string,
    message: string,
    readonly details: { field: string; message: string }[] = [],
    readonly traceId: string | null = null,
  ) {
    super(message, hintFor(code, traceId));
    this.name = 'ApiError';
  }
}

/** No HTTP answer at all (connection refused, DNS, TLS, timeout). */
export class ApiUnreachableError extends CliError {
  constructor(readonly url: string, cause: string) {
    super(`cannot reach the API at ${url} (${cause})`, 'is `npm start` running? Point the CLI elsewhere with --api URL or HOTSWAP_API');
    this.name = 'ApiUnreachableError';
  }
}

/** What to do about each error code of the catalogue (a test keeps the two in sync). */
export const HINTS = {
  VALIDATION_ERROR: 'fix the fields named and try again',
  SCHEMA_VALIDATION_ERROR: "the features do not match the version's input schema: `hotswap versions show MODEL VERSION` shows it",
  CHECKSUM_MISMATCH: 'the artifact is not the file the checksum was computed from: upload it again',
  UNAUTHORIZED: 'log in with `hotswap login`',
  FORBIDDEN: 'your role does not allow this: ask an Admin, or log in as another user',
  NOT_FOUND: 'check the names with `hotswap models list` and `hotswap routing show MODEL ENV`',
  MODEL_NOT_FOUND: 'check the name with `hotswap models list`',
  VERSION_NOT_FOUND: 'check the version with `hotswap versions list MODEL`',
  ARTIFACT_NOT_FOUND: 'the artifact is missing from the store: register the version again',
  DEPLOYMENT_NOT_FOUND: 'check the id with `hotswap deployments list --all`',
  CONFLICT: 'see what is in the way with `hotswap deployments list`, then retry',
  PAYLOAD_TOO_LARGE: 'send less (fewer instances, a smaller file)',
  UNSUPPORTED_MEDIA_TYPE: 'this is a CLI bug: please report it',
  RATE_LIMIT_EXCEEDED: 'wait a minute and retry',
  INSUFFICIENT_CAPACITY: 'free memory on the model servers (retire a version) or add a server',
  INTERNAL_ERROR: 'see the api log for the trace id',
  INFERENCE_ERROR: 'see the model server log for the trace id',
  SERVICE_UNAVAILABLE: 'retry shortly; GET /health names the component that is down',
} as const satisfies Record<ErrorCode, string>;

function hintFor(code: string, traceId: string | null): string {
  const hint: string = (HINTS as Record<string, string>)[code] ?? 'see `hotswap --help`';
  return traceId && (code === 'INTERNAL_ERROR' || code === 'INFERENCE_ERROR') ? `${hint} (${traceId})` : hint;
}

/**
 * The one line printed for a failure.
 * Example: ApiError(404, 'MODEL_NOT_FOUND', 'Model does not exist: x') →
 * "error: Model does not exist: x (MODEL_NOT_FOUND) — check the name with `hotswap models list`".
 */
export function formatError(e: unknown): string {
  if (e instanceof ApiError) {
    const fields = e.details.length > 0 ? `: ${e.details.map((d) => `${d.field} ${d.message}`).join('; ')}` : '';
    const message = e.details.length > 0 && e.details.every((d) => e.message.includes(d.message)) ? e.message : `${e.message}${fields}`;
    return oneLine(`error: ${message} (${e.code}) — ${e.hint}`);
  }
  if (e instanceof CliError) return oneLine(`error: ${e.message} — ${e.hint}`);
  return oneLine(`error: ${e instanceof Error ? e.message : String(e)}`);
}

/** Exit code of a failure: 2 for usage, else the error's own (1 by default). */
export function exitCodeOf(e: unknown): number {
  return e instanceof CliError ? e.exitCode : 1;
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ');
