/**
 * A deployment's own revisions in the routing ledger (routing_revisions), found by walking the
 * ledger by _id from its head backwards. Why by _id: on FerretDB any other filter reads the whole
 * ledger (every table's revisions), which made every route write and every rollback slower as
 * revisions accumulated (measured: 48 ms at 50 revisions, 255 ms at 500).
 *
 * Every revision a deployment writes carries `updatedBy = deployment:<deploymentId>#<sequence>`.
 */
import type { Environment } from '../domain/deployments/enums';
import type { RoutingTableDoc } from '../infra/mongo/routing-repository';
import type { DeploymentActivityDeps } from './deployment-deps';

const TAG = /^deployment:(.+)#(\d+)$/;
/** Revisions of a table walked at most (far more than one deployment makes). */
export const LEDGER_SCAN = 1000;
/** Revisions written this long before a deployment started cannot be its own (clock skew between processes). */
const CLOCK_SKEW_MS = 10_000;

export function routeTag(deploymentId: string, sequence: number): string {
  return `deployment:${deploymentId}#${sequence}`;
}

export function parseRouteTag(updatedBy: string | undefined): { deploymentId: string; sequence: number } | null {
  const m = updatedBy ? TAG.exec(updatedBy) : null;
  return m ? { deploymentId: m[1], sequence: Number(m[2]) } : null;
}

export interface OwnRevision {
  d: RoutingTableDoc;
  tag: { deploymentId: string; sequence: number };
}

/** When the deployment started (undefined when it has no record: the walk is then bounded by LEDGER_SCAN only). */
export async function deploymentStart(deps: Pick<DeploymentActivityDeps, 'deployments'>, deploymentId: string): Promise<number | undefined> {
  const startedAt = await deps.deployments.startedAt(deploymentId);
  const at = startedAt ? Date.parse(startedAt) : Number.NaN;
  return Number.isNaN(at) ? undefined : at;
}

/**
 * The deployment's revisions, newest first, from the ledger's head (a claimed revision may be
 * ahead of the table's `tableRevision`) backwards. Stops at its first revision with a sequence
 * below `belowSequence` (included: fencing keeps a deployment's revisions in sequence order), at
 * a revision written before the deployment started, or after LEDGER_SCAN revisions.
 */
export async function ownRevisions(
  deps: Pick<DeploymentActivityDeps, 'routing'>,
  table: { modelId: string; environment: Environment; revision: number },
  deploymentId: string,
  startedAt: number | undefined,
  belowSequence = 0,
): Promise<OwnRevision[]> {
  const at = (revision: number) => deps.routing.revisionNumbered(table.modelId, table.environment, revision);
  let head = table.revision;
  while (await at(head + 1)) head++;
  const found: OwnRevision[] = [];
  for (let revision = head; revision > 0 && head - revision < LEDGER_SCAN; revision--) {
    const d = await at(revision);
    if (!d) continue;
    const tag = parseRouteTag(d.updatedBy);
    if (tag?.deploymentId === deploymentId) {
      found.push({ d, tag });
      if (tag.sequence < belowSequence) break;
    } else if (startedAt !== undefined && d.updatedAt.getTime() < startedAt - CLOCK_SKEW_MS) break;
  }
  return found;
}
