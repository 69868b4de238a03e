import client, { type Registry } from 'prom-client';

/** Prometheus instruments of the prediction log and the metric buckets (api registry). */
export interface PredictionLogInstruments {
  written: client.Counter;
  duplicates: client.Counter;
  spilled: client.Counter;
  replayed: client.Counter;
  dropped: client.Counter<'reason'>;
  bucketFlushFailures: client.Counter;
  bucketDeltasDropped: client.Counter;
  journalErrors: client.Counter;
}

export interface GaugeSources {
  queueDepth: () => number;
  spillSegments: () => number;
  pendingBucketDeltas: () => number;
}

/**
 * Registers the instruments on `registry` (or on a private one when absent, e.g. in unit tests).
 * Gauges read their value when scraped.
 */
export function createPredictionLogInstruments(registry: Registry | undefined, sources: GaugeSources): PredictionLogInstruments {
  const registers = [registry ?? new client.Registry()];
  new client.Gauge({
    name: 'hotswap_prediction_log_queue_depth',
    help: 'Predictions held in memory, waiting to be written to MongoDB',
    registers,
    collect() {
      this.set(sources.queueDepth());
    },
  });
  new client.Gauge({
    name: 'hotswap_prediction_log_spill_segments',
    help: 'Spill files waiting to be replayed into MongoDB',
    registers,
    collect() {
      this.set(sources.spillSegments());
    },
  });
  new client.Gauge({
    name: 'hotswap_metric_buckets_pending_deltas',
    help: 'Metric-bucket increments waiting to be flushed to MongoDB',
    registers,
    collect() {
      this.set(sources.pendingBucketDeltas());
    },
  });
  return {
    written: new client.Counter({ name: 'hotswap_prediction_log_written_total', help: 'Predictions written to MongoDB', registers }),
    duplicates: new client.Counter({ name: 'hotswap_prediction_log_duplicates_total', help: 'Predictions MongoDB already had (replays after an unknown outcome)', registers }),
    spilled: new client.Counter({ name: 'hotswap_prediction_log_spilled_total', help: 'Predictions written to the local spill file', registers }),
    replayed: new client.Counter({ name: 'hotswap_prediction_log_replayed_total', help: 'Predictions replayed from the spill file into MongoDB', registers }),
    dropped: new client.Counter({ name: 'hotswap_prediction_log_dropped_total', help: 'Predictions lost (should stay 0), by reason', labelNames: ['reason'] as const, registers }),
    bucketFlushFailures: new client.Counter({ name: 'hotswap_metric_buckets_flush_failures_total', help: 'Metric-bucket flushes that failed (retried)', registers }),
    bucketDeltasDropped: new client.Counter({ name: 'hotswap_metric_buckets_dropped_total', help: 'Metric-bucket increments lost (should stay 0)', registers }),
    journalErrors: new client.Counter({ name: 'hotswap_prediction_log_journal_errors_total', help: 'Failed writes to the prediction journal (should stay 0; a crash after one can lose answered predictions)', registers }),
  };
}
