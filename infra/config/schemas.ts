import { z } from 'zod';
import { parseIsoDuration } from '../../domain/deployments/iso-duration';
import { DEFAULT_POOL, isPoolName, parsePlacement } from '../../domain/serving/placement';
import { bool, logLevel, port, positiveInt, url } from './load';
import { notifyWebhooksField } from './notify-webhooks';
import { TRACES_SAMPLERS } from '../telemetry/sampler-names';

/**
 * Every environment variable the processes read, with its default. README.md documents
 * each one; test/unit/config-docs.test.ts keeps the two in sync.
 */
const common = {
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: logLevel(),
  OTEL_EXPORTER_OTLP_ENDPOINT: url().optional(),
  // Standard OpenTelemetry names; unset = parentbased_always_on when exporting, else parentbased_always_off (infra/telemetry/sampler.ts).
  OTEL_TRACES_SAMPLER: z.enum(TRACES_SAMPLERS).optional(),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
  MONGODB_URI: z.string().regex(/^mongodb(\+srv)?:\/\//, 'expected a mongodb:// or mongodb+srv:// URI'),
  MONGODB_DB: z.string().regex(/^[A-Za-z0-9_-]+$/, 'expected a database name').default('hotswap'),
  METRICS_TOKEN: z.string().min(16, 'expected at least 16 characters').optional(),
  // Sent in an HTTP header by the api, the worker and the bench: printable ASCII, no spaces.
  SERVICE_TOKEN: z
    .string()
    .min(16, 'expected at least 16 characters (shared secret of api, worker and model servers)')
    .regex(/^[\x21-\x7e]+$/, 'expected printable ASCII characters without spaces'),
};

const artifactStore = {
  ARTIFACT_STORE: z.enum(['fs', 's3']).default('fs'),
  ARTIFACT_DIR: z.string().default('./data/artifacts'),
  S3_ENDPOINT: url().optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name').default('hotswap-models'),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  S3_FORCE_PATH_STYLE: bool(true),
};

/** Which pool serves each environment, and on how many of its servers (domain/serving/placement.ts). */
const placement = {
  SERVING_PLACEMENT: z
    .string()
    .default('')
    .transform((text, ctx) => {
      const parsed = parsePlacement(text);
      if ('problems' in parsed) {
        ctx.addIssue({ code: 'custom', message: `expected Environment=pool[:replicas], comma-separated: ${parsed.problems.join('; ')}` });
        return z.NEVER;
      }
      return parsed.placement;
    }),
};

const temporal = {
  TEMPORAL_ADDRESS: z.string().regex(/^[^:\s]+:\d+$/, 'expected host:port').default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('hotswap-deployments'),
  TEMPORAL_UI_URL: url().default('http://localhost:8233'),
};

/** The model server's MAX_INSTANCES (model-server/native-routes.ts): infra/ may not import it. */
const EXPLAIN_MAX_ROWS = 10_000;

export const apiConfigSchema = z
  .object({
    ...common,
    ...artifactStore,
    ...temporal,
    ...placement,
    API_HOST: z.string().default('0.0.0.0'),
    API_PORT: port(8080),
    PUBLIC_URL: url().optional(),
    // The web console's prebuilt bundle (npm run build writes it); unset: dist/console in the repository.
    CONSOLE_DIR: z.string().optional(),
    // Grafana as users reach it: the console links to it when set.
    GRAFANA_URL: url().optional(),
    TLS_CERT_FILE: z.string().optional(),
    TLS_KEY_FILE: z.string().optional(),
    JWT_SECRET: z.string().min(32, 'expected at least 32 characters'),
    JWT_ISSUER: z.string().default('hotswap'),
    JWT_TTL_SECONDS: positiveInt(8 * 3600),
    OIDC_ISSUER: url().optional(),
    OIDC_JWKS_URL: url().optional(),
    OIDC_AUDIENCE: z.string().optional(),
    OIDC_ROLE_CLAIM: z.string().default('hotswap_role'),
    BOOTSTRAP_ADMIN_USERNAME: z.string().min(3).default('admin'),
    BOOTSTRAP_ADMIN_PASSWORD: z.string().min(12, 'expected at least 12 characters').optional(),
    RATE_LIMIT_REGISTER_PER_MIN: positiveInt(20),
    RATE_LIMIT_DEPLOY_PER_MIN: positiveInt(10),
    // Inference limits are per api replica (api/auth/inference-limiter.ts). Users: password and OIDC logins.
    RATE_LIMIT_INFERENCE_PER_MIN: positiveInt(1000),
    // API keys without a limit of their own: 60,000/min = 1,000 req/s for one application.
    RATE_LIMIT_API_KEY_INFERENCE_PER_MIN: positiveInt(60000),
    RATE_LIMIT_LOGIN_PER_MIN: positiveInt(10),
    MAX_BODY_BYTES: positiveInt(1024 * 1024),
    MAX_ARTIFACT_BYTES: positiveInt(2 * 1024 * 1024 * 1024),
    HEALTH_TIMEOUT_MS: positiveInt(2000),
    MODEL_SERVER_HEARTBEAT_TIMEOUT_MS: positiveInt(10000),
    // Panic mode (api/gateway/server-directory.ts): 0 = off; otherwise at least the heartbeat timeout.
    MODEL_SERVER_LAST_RESORT_MS: z.coerce.number().int().min(0).default(60000),
    // Inference gateway (data plane)
    GATEWAY_ID: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'expected letters, digits, ".", "_" and "-"').optional(),
    GATEWAY_MAX_BATCH_SIZE: positiveInt(1000),
    GATEWAY_ROUTING_POLL_MS: positiveInt(100),
    GATEWAY_SERVER_POLL_MS: positiveInt(1000),
    GATEWAY_HEARTBEAT_MS: positiveInt(1000),
    GATEWAY_UPSTREAM_TIMEOUT_MS: positiveInt(30000),
    GATEWAY_AUTH_CACHE_MS: z.coerce.number().int().min(0).default(2000),
    GATEWAY_AUTH_STALE_MS: z.coerce.number().int().min(0).default(60000),
    GATEWAY_COALESCE_AFTER: positiveInt(1),
    GATEWAY_COALESCE_MAX: positiveInt(64),
    SHADOW_QUEUE_SIZE: positiveInt(1000),
    SHADOW_CONCURRENCY: positiveInt(4),
    ASYNC_WORKERS: z.coerce.number().int().min(0).default(4),
    ASYNC_POLL_MS: positiveInt(500),
    ASYNC_STALE_MS: positiveInt(60000),
    ASYNC_MAX_ATTEMPTS: positiveInt(20),
    ASYNC_RETENTION_HOURS: positiveInt(24),
    // Prediction log, metric buckets, feedback, metrics API
    PREDICTION_LOG_BATCH_SIZE: positiveInt(500),
    // Each write is one compressed segment: the database's cost per entry falls as segments grow (docs/ARCHITECTURE.md).
    PREDICTION_LOG_FLUSH_MS: positiveInt(200),
    PREDICTION_LOG_BUFFER_MAX: positiveInt(10000),
    PREDICTION_SPILL_DIR: z.string().min(1).default('./data/prediction-spill'),
    /** The write-ahead journal committed before each answer (off: a SIGKILLed api can lose up to PREDICTION_LOG_FLUSH_MS of answered predictions). */
    PREDICTION_JOURNAL: z.enum(['on', 'off']).default('on'),
    PREDICTION_SPILL_RETRY_MS: positiveInt(1000),
    PREDICTION_RETENTION_DAYS: positiveInt(30),
    METRIC_BUCKET_RETENTION_DAYS: positiveInt(90),
    RETENTION_SWEEP_MS: positiveInt(3600000),
    METRICS_FLUSH_MS: positiveInt(1000),
    METRICS_MAX_WINDOW_DAYS: positiveInt(7),
    FEEDBACK_MAX_ITEMS: positiveInt(1000),
    // Explanations (?explain=true): background rows from the version's sample set, exact KernelSHAP up to this many coalitions.
    EXPLAIN_BACKGROUND_ROWS: positiveInt(32),
    EXPLAIN_MAX_COALITIONS: positiveInt(256),
    SAMPLE_SETS_DIR: z.string().min(1).default('./examples/models'),
    // Deployments API
    DEPLOYMENT_APPROVAL_TIMEOUT: z.string().refine((v) => (parseIsoDuration(v) ?? 0) >= 1000, 'expected an ISO-8601 duration of at least 1 second, such as P1D or PT30M').default('P1D'),
    DEPLOYMENT_QUERY_TIMEOUT_MS: positiveInt(2000),
    ROUTING_LOAD_TIMEOUT_MS: positiveInt(60000),
    DEPLOYMENT_COMMAND_TIMEOUT_MS: positiveInt(60000),
  })
  .superRefine((c, ctx) => {
    if ((c.TLS_CERT_FILE === undefined) !== (c.TLS_KEY_FILE === undefined))
      ctx.addIssue({ code: 'custom', path: [c.TLS_CERT_FILE ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE'], message: 'TLS_CERT_FILE and TLS_KEY_FILE must be set together' });
    if (c.ARTIFACT_STORE === 's3' && !c.S3_ENDPOINT)
      ctx.addIssue({ code: 'custom', path: ['S3_ENDPOINT'], message: 'is required when ARTIFACT_STORE=s3' });
    // One explanation is one batch call of 1 + (coalitions + 1) × background rows; a model server takes at most 10,000.
    if (1 + (c.EXPLAIN_MAX_COALITIONS + 1) * c.EXPLAIN_BACKGROUND_ROWS > EXPLAIN_MAX_ROWS)
      ctx.addIssue({ code: 'custom', path: ['EXPLAIN_MAX_COALITIONS'], message: `1 + (EXPLAIN_MAX_COALITIONS + 1) × EXPLAIN_BACKGROUND_ROWS must not exceed ${EXPLAIN_MAX_ROWS} (rows per model-server batch)` });
    if (c.PREDICTION_LOG_BATCH_SIZE > c.PREDICTION_LOG_BUFFER_MAX)
      ctx.addIssue({ code: 'custom', path: ['PREDICTION_LOG_BATCH_SIZE'], message: 'must not exceed PREDICTION_LOG_BUFFER_MAX' });
    if (c.MODEL_SERVER_LAST_RESORT_MS !== 0 && c.MODEL_SERVER_LAST_RESORT_MS < c.MODEL_SERVER_HEARTBEAT_TIMEOUT_MS)
      ctx.addIssue({ code: 'custom', path: ['MODEL_SERVER_LAST_RESORT_MS'], message: 'must be 0 (off) or at least MODEL_SERVER_HEARTBEAT_TIMEOUT_MS' });
    if (c.OIDC_ISSUER && !c.OIDC_JWKS_URL)
      ctx.addIssue({ code: 'custom', path: ['OIDC_JWKS_URL'], message: 'is required when OIDC_ISSUER is set' });
  });
export type ApiConfig = z.infer<typeof apiConfigSchema>;

export const workerConfigSchema = z.object({
  ...common,
  ...artifactStore,
  ...temporal,
  ...placement,
  WORKER_METRICS_PORT: port(9464),
  MODEL_SERVER_HEARTBEAT_TIMEOUT_MS: positiveInt(10000),
  ROUTE_CONFIRM_TIMEOUT_MS: positiveInt(20000),
  METRICS_SETTLE_MS: positiveInt(2500),
  SAMPLE_SETS_DIR: z.string().min(1).default('./examples/models'),
  APPROVAL_WEBHOOK_URL: url().optional(),
  // Webhooks per environment, JSON (infra/config/notify-webhooks.ts); their secrets are in the variables they name.
  NOTIFY_WEBHOOKS: notifyWebhooksField(),
});
export type WorkerConfig = z.infer<typeof workerConfigSchema>;

export const modelServerConfigSchema = z.object({
  ...common,
  ...artifactStore,
  ...placement,
  // Unset: derived from the host name and port (model-server/server-id.ts), so two servers left on defaults never share an id.
  MODEL_SERVER_ID: z.string().regex(/^[a-z0-9-]+$/, 'expected lowercase letters, digits and dashes').optional(),
  MODEL_SERVER_POOL: z.string().refine(isPoolName, 'expected lowercase letters, digits and dashes').default(DEFAULT_POOL),
  // 0 = 80 % of the memory this process may use (its cgroup limit, else the machine's memory).
  MODEL_SERVER_MEMORY_BUDGET_MB: z.coerce.number().int().min(0).default(0),
  MODEL_SERVER_RECONCILE_MS: positiveInt(2000),
  MODEL_SERVER_UNLOAD_GRACE_MS: z.coerce.number().int().min(0).default(15000),
  MODEL_SERVER_HEARTBEAT_TIMEOUT_MS: positiveInt(10000),
  MODEL_SERVER_HOST: z.string().default('0.0.0.0'),
  MODEL_SERVER_PORT: port(8081),
  MODEL_SERVER_URL: url().optional(),
  MODEL_SERVER_CACHE_DIR: z.string().default('./data/model-cache'),
  MODEL_SERVER_HEARTBEAT_MS: positiveInt(2000),
  ORT_INTRA_OP_THREADS: positiveInt(1),
  ORT_INTER_OP_THREADS: positiveInt(1),
  ORT_GRAPH_OPTIMIZATION: z.enum(['disabled', 'basic', 'extended', 'all']).default('all'),
  ORT_ALLOW_SPINNING: bool(false),
  WARMUP_RUNS: z.coerce.number().int().min(0).default(5),
});
export type ModelServerConfig = z.infer<typeof modelServerConfigSchema>;
