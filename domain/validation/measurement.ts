/** What the validation activity measured of a candidate on one model server; the gates judge it (./gates.ts). */

export type Label = string | number;

/** One labelled holdout row: the true label, what each version answered (null: no valid answer), its sensitive-attribute values. */
export interface HoldoutRow {
  label: Label;
  candidate: Label | null;
  /** The stable version's answer to the same row (null: not asked or no valid answer). */
  stable: Label | null;
  /** Sensitive attribute → the row's value as text (e.g. {is_international: 'true'}). */
  groups: Record<string, string>;
}

export interface DeclaredBaseline {
  accuracy: number | null;
  inferenceLatencyMs: number | null;
}

export interface ServerMemory {
  server: string;
  /** The server's memory budget for loaded versions (null: it reports none). */
  budgetBytes: number | null;
  /** Memory of the versions it holds (validation scratch loads excluded). */
  inUseBytes: number;
}

export interface CandidateMeasurement {
  /** Why nothing could be measured (no live server, an OIP-only version, the trial load failed), else null. */
  notMeasured: string | null;
  /** The server the candidate was measured on. */
  server: string | null;
  /** Where the labelled holdout sample came from (null: the version has none). */
  sampleSource: string | null;
  rows: HoldoutRow[];
  /** Whether the stable version answered the same rows on the same server. */
  stableMeasured: boolean;
  /** Server-side single-row latency (ms, the model server's own `latencyMs`), interleaved on one server. */
  latencyMs: { candidate: number[]; stable: number[] };
  /** The candidate's measured memory on that server (null: not reported). */
  candidateMemoryBytes: number | null;
  /** The servers of the deployment's pool. */
  pool: ServerMemory[];
  declared: { candidate: DeclaredBaseline; stable: DeclaredBaseline | null };
  /** The candidate's declared sensitive attributes and the class counted as "positive" for parity. */
  fairness: { sensitiveAttributes: string[]; positiveClass: Label } | null;
}
