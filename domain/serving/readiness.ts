/**
 * When a model server counts as ready (its /health/ready, a Kubernetes readiness probe): it has
 * read the desired state at least once since it started, and every version assigned to it there
 * is Ready. A version the server refused for its memory budget (INSUFFICIENT_CAPACITY) does not
 * hold it back: it will never fit here, and the gateway sends its traffic to servers that hold
 * it. Any other missing version (loading, waiting for a retry after a failed load) keeps it
 * unready, so a rolling update does not replace serving pods with ones that cannot serve yet.
 * No I/O.
 * Example: read, assigned {v1, v2}, v1 Ready, v2 Loading → not ready, waiting on v2.
 */
export interface ReadinessInput {
  /** False until the first successful read of the desired state. */
  read: boolean;
  /** Version ids assigned to this server by the last successful read. */
  assigned: readonly string[];
  /** State of each version this server holds, by version id. */
  stateOf: (versionId: string) => string | undefined;
  /** Version ids refused because they do not fit the memory budget. */
  refusedForCapacity: ReadonlySet<string>;
}

export interface Readiness {
  ready: boolean;
  /** Assigned version ids not Ready yet, in assignment order. */
  waiting: string[];
  /** Why it is not ready, for the response body; null when ready. */
  reason: string | null;
}

export function assessReadiness(input: ReadinessInput): Readiness {
  if (!input.read) return { ready: false, waiting: [], reason: 'the desired state has not been read yet' };
  const waiting = input.assigned.filter((id) => input.stateOf(id) !== 'Ready' && !input.refusedForCapacity.has(id));
  if (waiting.length > 0) return { ready: false, waiting, reason: `${waiting.length} assigned version(s) not Ready yet` };
  return { ready: true, waiting: [], reason: null };
}
