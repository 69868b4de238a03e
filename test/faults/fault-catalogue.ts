/**
 * The faults, each with what a user expects (written before it was run) and how it is injected.
 * A fault happens during a canary from the stable version to a candidate, under steady load,
 * at 25 % while the first analysis window runs, unless `before` says it comes before the deploy.
 */
import type { FaultStack, ProcessName } from './fault-stack';

export interface Injection {
  /** When the fault began. */
  at: number;
  /** When the broken thing was back (restarted, reachable, thawed). */
  backAt: number;
}

export interface FaultContext {
  stack: FaultStack;
  /** The canary's candidate and the version it replaces. */
  candidate: string;
  stable: string;
  log(line: string): void;
}

export interface Fault {
  id: string;
  title: string;
  when: string;
  expected: string;
  /** The deployment's end state a user expects. */
  endState: 'Active' | 'RolledBack';
  /** Failed requests a user can expect (a lone api that is down cannot answer); undefined = zero. */
  failuresExpected?: string;
  /** The canary's candidate must be a version no server has cached yet (its artifact comes from S3). */
  freshCandidate?: boolean;
  /** Inject before the deployment is created instead of at 25 %. */
  before?: boolean;
  inject(ctx: FaultContext): Promise<Injection>;
  /** Further expectations checked once the deployment ended: the problems found. */
  verify?(ctx: FaultContext, injection: Injection): Promise<string[]>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** kill -9, then wait for the supervisor (or the harness, for FerretDB) to bring it back. */
async function kill9(ctx: FaultContext, name: ProcessName): Promise<Injection> {
  const at = Date.now();
  const pid = ctx.stack.signal(name, 'SIGKILL');
  ctx.log(`kill -9 ${name} (pid ${pid})`);
  const next = await ctx.stack.waitRestarted(name, pid);
  ctx.log(`${name} is back (pid ${next}) after ${Date.now() - at} ms`);
  return { at, backAt: Date.now() };
}

/** The restarted model server holds the routed versions Ready again, without anyone loading them (issue 11, part 1). */
async function servesAgain(ctx: FaultContext, server: string, injection: Injection): Promise<string[]> {
  const deadline = injection.backAt + 30_000;
  for (;;) {
    const doc = await ctx.stack.db.collection<{ _id: string; loaded?: { version: string; state: string }[] }>('model_servers').findOne({ _id: server });
    const ready = (doc?.loaded ?? []).filter((l) => l.state === 'Ready').map((l) => l.version);
    if (ready.includes(ctx.candidate)) return [];
    if (Date.now() > deadline) return [`${server} did not hold ${ctx.candidate} Ready within 30 s of its restart (it holds: ${ready.join(', ') || 'nothing'})`];
    await sleep(500);
  }
}

const killServer = (server: 'server-1' | 'server-2'): Fault => ({
  id: `kill-${server}`,
  title: `kill -9 ${server}`,
  when: 'mid-canary (25 %, analysing)',
  expected: `restarted by the supervisor; the gateway retries on the other server: 0 failed requests; the canary completes (Active); ${server} serves the routed versions again within 30 s, by reconciliation`,
  endState: 'Active',
  inject: (ctx) => kill9(ctx, server),
  verify: (ctx, injection) => servesAgain(ctx, server, injection),
});

const killPlain = (name: ProcessName, id: string, expected: string, failuresExpected?: string): Fault => ({
  id,
  title: `kill -9 ${name}`,
  when: 'mid-canary (25 %, analysing)',
  expected,
  endState: 'Active',
  failuresExpected,
  inject: (ctx) => kill9(ctx, name),
});

const DB_OUTAGE_MS = 30_000;
const S3_OUTAGE_MS = 20_000;
const FREEZE_MS = 15_000;

export const FAULTS: Fault[] = [
  killServer('server-1'),
  killServer('server-2'),
  killPlain('api', 'kill-api', 'restarted by the supervisor; requests fail only while no api listens (one api, no load balancer); the canary completes (Active); every answered request is in the prediction log', 'while the lone api is down'),
  killPlain('worker', 'kill-worker', 'restarted by the supervisor; the workflow resumes where it was: the canary completes (Active); 0 failed requests'),
  killPlain('temporal', 'kill-temporal', 'restarted by the supervisor from its SQLite file; the workflow resumes: the canary completes (Active); the data plane never needs Temporal: 0 failed requests'),
  killPlain('ferretdb', 'kill-ferretdb', 'restarted by the process manager; the gateway answers from its caches and spills the prediction log: 0 failed requests, 0 lost; the canary completes (Active)'),
  {
    id: 'restart-stack',
    title: 'restart the whole stack',
    when: 'mid-canary (25 %, analysing)',
    expected: 'Ctrl-C stops everything, FerretDB restarted too, `npm start` again: requests fail only while it is down; within 30 s of the banner everything deployed answers again (reconciliation); the canary resumes and completes (Active)',
    endState: 'Active',
    failuresExpected: 'while the stack is down',
    async inject(ctx) {
      const at = Date.now();
      await ctx.stack.stopSupervisor();
      await ctx.stack.restartDatabase();
      await ctx.stack.startSupervisor();
      ctx.log(`stack back (banner) after ${Date.now() - at} ms`);
      return { at, backAt: Date.now() };
    },
    async verify(ctx, injection) {
      // The deployed versions answer again within 30 s of the banner: a request pinned to neither version, through the gateway.
      const deadline = injection.backAt + 30_000;
      let last = '';
      for (;;) {
        const res = await ctx.stack.call('POST', '/api/v1/inference/fraud-detection', { token: ctx.stack.admin.token, headers: { 'x-hotswap-environment': 'Staging' }, body: { features: SAMPLE } }).catch((e: Error) => ({ status: 0, body: e.message }));
        if (res.status === 200) return [];
        last = `${res.status} ${JSON.stringify(res.body).slice(0, 200)}`;
        if (Date.now() > deadline) return [`no answer within 30 s of the banner; last: ${last}`];
        await sleep(500);
      }
    },
  },
  {
    id: 'database-unreachable',
    title: 'database unreachable for 30 s',
    when: 'mid-canary (25 %, analysing)',
    expected: 'TCP proxy in front of FerretDB cut (refused, open connections reset): known callers keep getting answers from the caches, 0 failed requests; the prediction log spills and replays, 0 lost; the canary waits and completes (Active)',
    endState: 'Active',
    async inject(ctx) {
      const at = Date.now();
      await ctx.stack.dbProxy.cutOff();
      ctx.log('database proxy cut');
      await sleep(DB_OUTAGE_MS);
      await ctx.stack.dbProxy.restore();
      ctx.log('database proxy restored');
      return { at, backAt: Date.now() };
    },
  },
  {
    id: 'artifact-store-unreachable',
    title: 'artifact store unreachable for 20 s',
    when: 'as the canary warms a version no server has cached',
    expected: 'TCP proxy in front of SeaweedFS S3 cut just before the deployment: the stable version keeps serving, 0 failed requests; the warm-up retries and, once S3 is back, the canary completes (Active)',
    endState: 'Active',
    freshCandidate: true,
    before: true,
    async inject(ctx) {
      const at = Date.now();
      await ctx.stack.s3Proxy.cutOff();
      ctx.log('artifact store proxy cut');
      // Cut before the deployment starts; restored in the background while it warms up.
      void sleep(S3_OUTAGE_MS).then(async () => {
        await ctx.stack.s3Proxy.restore();
        ctx.log('artifact store proxy restored');
      });
      return { at, backAt: at + S3_OUTAGE_MS };
    },
  },
  {
    id: 'freeze-server-1',
    title: 'freeze server-1 (SIGSTOP 15 s)',
    when: 'mid-canary (25 %, analysing)',
    expected: 'SIGSTOP then SIGCONT: requests it holds wait for it, none fail (0 failed requests); the canary completes (Active)',
    endState: 'Active',
    async inject(ctx) {
      const at = Date.now();
      ctx.stack.signal('server-1', 'SIGSTOP');
      ctx.log('server-1 frozen');
      try {
        await sleep(FREEZE_MS);
      } finally {
        ctx.stack.signal('server-1', 'SIGCONT');
        ctx.log('server-1 thawed');
      }
      return { at, backAt: Date.now() };
    },
  },
];

/** A fraud-detection request body (examples/models/fraud-detection samples). */
export const SAMPLE = { transaction_amount: 115.04, merchant_category: 'grocery', user_age_days: 107, transaction_hour: 4, is_international: true };
