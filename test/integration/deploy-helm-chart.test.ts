/**
 * The Kubernetes chart (deploy/helm/hotswap) and docker-compose.yml, checked with the real tools
 * that scripts/setup-tools.sh installs: `helm lint`, `helm template` piped to `kubeconform -strict`
 * against the Kubernetes JSON schemas kept in the tools dir, and the facts that matter in what
 * it renders; `docker-compose config -q` over an .env that deploy/generate-env.sh writes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { apiConfigSchema, modelServerConfigSchema, workerConfigSchema } from '../../infra/config/schemas';
import { repoRoot, toolPath, toolsDir } from '../../ops/repo-paths';

const CHART = path.join(repoRoot(), 'deploy/helm/hotswap');
const KUBERNETES_VERSION = '1.35.0';
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'hotswap-helm-'));

/** What an installation sets at least: the external services and the Secret's name. */
const REQUIRED = {
  mongodb: { uri: 'mongodb://mongo-0.mongo.db:27017/?replicaSet=rs0' },
  temporal: { address: 'temporal-frontend.temporal:7233' },
  artifactStore: { s3: { endpoint: 'http://minio.storage:9000' } },
  secrets: { existingSecret: 'hotswap-secrets' },
};
/** HPA on, two pools, Production placed on 2 servers of the "prod" pool, a MongoDB URI from a Secret. */
const SCALED = {
  ...REQUIRED,
  mongodb: { existingSecret: 'hotswap-mongodb' },
  placement: { Production: { pool: 'prod', replicas: 2 }, Staging: { pool: 'default' } },
  config: { LOG_LEVEL: 'debug' },
  api: { autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 12 }, config: { PUBLIC_URL: 'https://hotswap.example.com' } },
  modelServer: {
    pools: [
      { name: 'default', replicas: 2 },
      { name: 'prod', replicas: 4, memoryBudgetMB: 6000, resources: { requests: { cpu: '2', memory: '8Gi' }, limits: { memory: '8Gi' } }, autoscaling: { enabled: true, maxReplicas: 8 }, config: { ORT_INTRA_OP_THREADS: '2' } },
    ],
  },
};

function valuesFile(name: string, values: object): string {
  const file = path.join(scratch, `${name}.json`); // JSON is YAML: helm reads it as a values file
  fs.writeFileSync(file, JSON.stringify(values));
  return file;
}

function helm(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(toolPath('helm'), args, { encoding: 'utf8', env: { ...process.env, HELM_CACHE_HOME: scratch, HELM_CONFIG_HOME: scratch, HELM_DATA_HOME: scratch } });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
}

const rendered = new Map<string, K8sObject[]>();
/** Renders the chart (once per values set) and returns its objects; the manifest is kept for kubeconform. */
function render(values: object, name: string): K8sObject[] {
  const known = rendered.get(name);
  if (known) return known;
  const r = helm(['template', 'hs', CHART, '--namespace', 'hotswap', '--kube-version', KUBERNETES_VERSION, '-f', valuesFile(name, values)]);
  if (r.status !== 0) throw new Error(`helm template failed:\n${r.out}`);
  fs.writeFileSync(path.join(scratch, `${name}.yaml`), r.out);
  const objs = parseAllDocuments(r.out)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
  rendered.set(name, objs);
  return objs;
}

/** kubeconform -strict over manifests, in one run (it compiles each kind's schema once). */
function kubeconform(manifests: string[]): { status: number | null; out: string } {
  const schemas = path.join(toolsDir(), 'kubernetes-json-schema');
  const r = spawnSync(
    toolPath('kubeconform'),
    ['-strict', '-summary', '-kubernetes-version', KUBERNETES_VERSION, '-schema-location', `${schemas}/{{.NormalizedKubernetesVersion}}-local{{.StrictSuffix}}/{{.ResourceKind}}{{.KindSuffix}}.json`, ...manifests],
    { encoding: 'utf8' },
  );
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const byKind = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind);
const named = (objs: K8sObject[], kind: string, name: string) => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name} in ${objs.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
};
const container = (d: K8sObject): any => d.spec.template.spec.containers[0];
/** Every variable a Deployment's container gets: its env entries and the keys of the ConfigMaps it reads. */
function envNames(objs: K8sObject[], d: K8sObject): Set<string> {
  const c = container(d);
  const names = new Set<string>((c.env ?? []).map((e: { name: string }) => e.name));
  for (const from of c.envFrom ?? []) for (const k of Object.keys(named(objs, 'ConfigMap', from.configMapRef.name).data ?? {})) names.add(k);
  return names;
}

afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe('the Helm chart', () => {
  it('renders objects that kubeconform -strict finds valid against the Kubernetes schemas, with the default values and with HPAs and two pools', () => {
    const counts = { defaults: render(REQUIRED, 'defaults').length, scaled: render(SCALED, 'scaled').length };
    const r = kubeconform([path.join(scratch, 'defaults.yaml'), path.join(scratch, 'scaled.yaml')]);
    expect({ status: r.status, out: r.out }).toEqual({ status: 0, out: expect.stringContaining(`Valid: ${counts.defaults + counts.scaled}, Invalid: 0, Errors: 0, Skipped: 0`) });
    // and it does reject what Kubernetes would: an unknown field, a wrong type
    const bad = path.join(scratch, 'bad.yaml');
    const apiDeployment = fs.readFileSync(path.join(scratch, 'defaults.yaml'), 'utf8').split(/^---$/m).find((d) => /^kind: Deployment$/m.test(d) && d.includes('name: hs-hotswap-api\n'));
    fs.writeFileSync(bad, apiDeployment!.replace('imagePullPolicy: IfNotPresent', 'imagePullPolicy: IfNotPresent\n          restartOnFailure: true').replace('periodSeconds: 5', 'periodSeconds: "5s"'));
    const rejected = kubeconform([bad]);
    expect(rejected.status).not.toBe(0);
    expect(rejected.out).toMatch(/additional properties 'restartOnFailure' not allowed/);
    expect(rejected.out).toMatch(/periodSeconds.*want null or integer/);
  });

  it('passes helm lint (values.schema.json included), and lint fails on values the schema refuses', () => {
    const ok = helm(['lint', CHART, '--strict', '-f', valuesFile('lint', SCALED)]);
    expect(ok).toMatchObject({ status: 0 });
    const bad = helm(['lint', CHART, '-f', valuesFile('lint-bad', { ...REQUIRED, api: { config: { API_PROT: '1' } }, modelServer: { pools: [{ name: 'Bad_Pool' }] } })]);
    expect(bad.status).not.toBe(0);
    expect(bad.out).toMatch(/API_PROT/);
    expect(bad.out).toMatch(/Bad_Pool|pattern/);
  });

  it('with the default values: probes, PDBs, env from Secrets, non-root', () => {
    const objs = render(REQUIRED, 'defaults');
    const api = named(objs, 'Deployment', 'hs-hotswap-api');
    const worker = named(objs, 'Deployment', 'hs-hotswap-worker');
    const ms = named(objs, 'Deployment', 'hs-hotswap-ms-default');
    expect(byKind(objs, 'Deployment')).toHaveLength(3);
    expect(byKind(objs, 'HorizontalPodAutoscaler')).toHaveLength(0);
    expect(byKind(objs, 'PodDisruptionBudget').map((p) => p.metadata.name).sort()).toEqual(['hs-hotswap-api', 'hs-hotswap-ms-default', 'hs-hotswap-worker']);

    // Ready = the versions assigned to the model server are Ready; the api's readiness does not follow the database.
    expect(container(ms).readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
    expect(container(ms).livenessProbe.httpGet.path).toBe('/v2/health/live');
    expect(container(api).readinessProbe.httpGet.path).toBe('/health/live');
    expect(container(ms).command).toEqual(['node', 'dist/model-server/main.js']);
    expect(container(worker).command).toEqual(['node', 'dist/worker/main.js']);

    for (const d of [api, worker, ms]) {
      expect(d.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      expect(container(d).securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      expect(container(d).resources.requests).toEqual(expect.objectContaining({ memory: expect.any(String) }));
      const token = container(d).env.find((e: { name: string }) => e.name === 'SERVICE_TOKEN');
      expect(token.valueFrom.secretKeyRef).toEqual({ name: 'hotswap-secrets', key: 'SERVICE_TOKEN' });
    }
    const jwt = container(api).env.find((e: { name: string }) => e.name === 'JWT_SECRET');
    expect(jwt.valueFrom.secretKeyRef.name).toBe('hotswap-secrets');
    const shared = named(objs, 'ConfigMap', 'hs-hotswap-shared').data!;
    expect(shared).toMatchObject({ TEMPORAL_ADDRESS: 'temporal-frontend.temporal:7233', S3_ENDPOINT: 'http://minio.storage:9000', SERVING_PLACEMENT: '', ARTIFACT_STORE: 's3' });
    expect(container(ms).env.find((e: { name: string }) => e.name === 'MODEL_SERVER_URL').value).toBe('http://$(POD_IP):8081');
  });

  it('with HPAs and two pools: a Deployment, a PDB and an HPA per pool, placement wired, the MongoDB URI from its Secret', () => {
    const objs = render(SCALED, 'scaled');
    expect(byKind(objs, 'HorizontalPodAutoscaler').map((h) => [h.metadata.name, h.spec.minReplicas, h.spec.maxReplicas]).sort()).toEqual([
      ['hs-hotswap-api', 3, 12],
      ['hs-hotswap-ms-prod', 2, 8],
    ]);
    expect(byKind(objs, 'PodDisruptionBudget').map((p) => p.metadata.name).sort()).toEqual(['hs-hotswap-api', 'hs-hotswap-ms-default', 'hs-hotswap-ms-prod', 'hs-hotswap-worker']);
    const pdb = named(objs, 'PodDisruptionBudget', 'hs-hotswap-ms-prod');
    const prod = named(objs, 'Deployment', 'hs-hotswap-ms-prod');
    expect(pdb.spec.selector.matchLabels).toEqual(prod.spec.selector.matchLabels);
    expect(prod.spec.template.metadata.labels).toMatchObject(prod.spec.selector.matchLabels);
    expect(prod.spec.replicas).toBeUndefined(); // the HPA owns it
    expect(named(objs, 'Deployment', 'hs-hotswap-ms-default').spec.replicas).toBe(2);
    expect(named(objs, 'Deployment', 'hs-hotswap-api').spec.replicas).toBeUndefined();
    expect(container(prod).resources.requests).toEqual({ cpu: '2', memory: '8Gi' });

    expect(named(objs, 'ConfigMap', 'hs-hotswap-ms-prod').data).toMatchObject({ MODEL_SERVER_POOL: 'prod', MODEL_SERVER_MEMORY_BUDGET_MB: '6000', ORT_INTRA_OP_THREADS: '2' });
    expect(named(objs, 'ConfigMap', 'hs-hotswap-shared').data).toMatchObject({ SERVING_PLACEMENT: 'Production=prod:2,Staging=default:0', LOG_LEVEL: 'debug' });
    expect(named(objs, 'ConfigMap', 'hs-hotswap-api').data).toMatchObject({ PUBLIC_URL: 'https://hotswap.example.com' });
    const uri = container(prod).env.find((e: { name: string }) => e.name === 'MONGODB_URI');
    expect(uri).toEqual({ name: 'MONGODB_URI', valueFrom: { secretKeyRef: { name: 'hotswap-mongodb', key: 'MONGODB_URI' } } });
  });

  it('ships no secret: no Secret object, and every credential variable comes from a secretKeyRef', () => {
    const objs = [...render(REQUIRED, 'defaults'), ...render(SCALED, 'scaled')];
    expect(byKind(objs, 'Secret')).toEqual([]);
    const credentials = ['SERVICE_TOKEN', 'METRICS_TOKEN', 'JWT_SECRET', 'BOOTSTRAP_ADMIN_PASSWORD', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'];
    for (const d of byKind(objs, 'Deployment'))
      for (const e of container(d).env as { name: string; value?: string; valueFrom?: { secretKeyRef?: object } }[])
        if (credentials.includes(e.name)) expect({ name: e.name, value: e.value, fromSecret: Boolean(e.valueFrom?.secretKeyRef) }).toEqual({ name: e.name, value: undefined, fromSecret: true });
    for (const cm of byKind(objs, 'ConfigMap')) for (const k of credentials) expect(Object.keys(cm.data ?? {})).not.toContain(k);
  });

  it('refuses to render without the external services, with a placement on a pool it does not run, or with a dotted name', () => {
    expect(helm(['template', 'hs', CHART, '-f', valuesFile('none', {})]).out).toMatch(/set mongodb\.uri/);
    const wrongPool = helm(['template', 'hs', CHART, '-f', valuesFile('wrong-pool', { ...REQUIRED, placement: { Production: { pool: 'gpu' } } })]);
    expect(wrongPool.status).not.toBe(0);
    expect(wrongPool.out).toMatch(/placement\.Production\.pool "gpu" is not a pool/);
    // A pod's name is its server id, which has no dots.
    expect(helm(['template', 'hs.prod', CHART, '-f', valuesFile('required', REQUIRED)]).out).toMatch(/must not contain dots/);
  });

  it('gives each process every variable it reads: set by the chart, or allowed in its config map by values.schema.json', () => {
    const objs = render(REQUIRED, 'defaults');
    const schema = JSON.parse(fs.readFileSync(path.join(CHART, 'values.schema.json'), 'utf8'));
    const allowed = (o: { propertyNames: { enum: string[] } }) => o.propertyNames.enum;
    const shared = allowed(schema.properties.config);
    // Not offered: TLS ends at the Service's load balancer or ingress, the artifact store is S3, and the image has its console.
    const notOffered = ['TLS_CERT_FILE', 'TLS_KEY_FILE', 'ARTIFACT_DIR', 'CONSOLE_DIR'];
    const cases = [
      { schema: apiConfigSchema, deployment: 'hs-hotswap-api', own: allowed(schema.properties.api.properties.config) },
      { schema: workerConfigSchema, deployment: 'hs-hotswap-worker', own: allowed(schema.properties.worker.properties.config) },
      { schema: modelServerConfigSchema, deployment: 'hs-hotswap-ms-default', own: allowed(schema.properties.modelServer.properties.defaults.properties.config) },
    ];
    for (const c of cases) {
      const reads = Object.keys(c.schema.shape).sort();
      const covered = new Set([...envNames(objs, named(objs, 'Deployment', c.deployment)), ...shared, ...c.own, ...notOffered]);
      expect({ deployment: c.deployment, missing: reads.filter((k) => !covered.has(k)) }).toEqual({ deployment: c.deployment, missing: [] });
      // and the schema offers nothing the process does not read
      expect({ deployment: c.deployment, unknown: c.own.filter((k) => !reads.includes(k)) }).toEqual({ deployment: c.deployment, unknown: [] });
    }
  });
});

describe('docker-compose.yml', () => {
  it('is valid for docker-compose config with the .env that deploy/generate-env.sh writes, and refuses to start without it', () => {
    const env = path.join(scratch, 'compose.env');
    execFileSync('bash', [path.join(repoRoot(), 'deploy/generate-env.sh'), env], { stdio: 'pipe' });
    const empty = path.join(scratch, 'empty.env');
    fs.writeFileSync(empty, '');
    // Only PATH and HOME: nothing from this shell's environment fills in a variable.
    const compose = (envFile: string) =>
      spawnSync('docker-compose', ['-f', path.join(repoRoot(), 'docker-compose.yml'), '--env-file', envFile, 'config', '-q'], { encoding: 'utf8', cwd: repoRoot(), env: { PATH: process.env.PATH, HOME: scratch } });
    const ok = compose(env);
    expect({ status: ok.status, stderr: ok.stderr }).toEqual({ status: 0, stderr: '' });
    const missing = compose(empty);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/set \w+ in \.env/);
  });
});
