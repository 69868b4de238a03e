/**
 * running_deployments, what the model servers read every reconcile pass instead of filtering
 * every deployment ever made: kept in step with the projection by every write, on the run's
 * FerretDB — created, updated, removed when the deployment ends, repaired by a retried final
 * write, and filled at start for deployments that predate it.
 */
import { initialDeploymentView } from '../../domain/deployments/deployment-status';
import { DeploymentRepository } from '../../infra/mongo/deployment-repository';
import { createTestMongo, type TestMongo } from '../helpers/services';

let mongo: TestMongo;
let repo: DeploymentRepository;
beforeAll(async () => {
  mongo = await createTestMongo('running');
  repo = new DeploymentRepository(mongo.db);
  await repo.ensureIndexes();
});
afterAll(async () => {
  await mongo?.close();
});

const viewOf = (deploymentId: string) =>
  initialDeploymentView({ deploymentId, modelId: 'm1', modelName: 'fraud', versionId: 'v2', version: '2.0.0', strategy: 'Canary', environment: 'Staging', initiatedBy: 'test' }, false, new Date().toISOString());
const ids = async () => (await repo.running()).map((r) => r.deploymentId).sort();

it('follows a deployment from creation to its end, and a retried final write repairs a marker left behind', async () => {
  const view = viewOf('d-life');
  await repo.create(view, { workflowId: 'wf', firstExecutionRunId: 'run' });
  expect(await repo.running()).toEqual([{ deploymentId: 'd-life', modelId: 'm1', modelName: 'fraud', environment: 'Staging', candidateVersionId: 'v2', stableVersionId: null }]);

  await repo.record({ ...view, stable: { versionId: 'v1', version: '1.0.0' }, sequence: 2 });
  expect((await repo.running())[0].stableVersionId).toBe('v1');

  const ended = { ...view, stable: { versionId: 'v1', version: '1.0.0' }, status: 'Active' as const, completedAt: new Date().toISOString(), sequence: 3 };
  expect(await repo.record(ended)).toBe(true);
  expect(await ids()).toEqual([]);

  // A writer that crashed between the projection and the marker: the activity's retry writes the same sequence again.
  await mongo.db.collection('running_deployments').insertOne({ _id: 'd-life' as never, modelId: 'm1', modelName: 'fraud', environment: 'Staging', candidateVersionId: 'v2', stableVersionId: 'v1' });
  expect(await ids()).toEqual(['d-life']);
  expect(await repo.record(ended)).toBe(false);
  expect(await ids()).toEqual([]);
});

it('marks at start the running deployments written before the marker existed', async () => {
  const { deploymentId, ...rest } = viewOf('d-old');
  await mongo.db.collection('deployments').insertOne({ _id: deploymentId as never, ...rest, schemaVersion: 1 });
  await mongo.db.collection('deployments').insertOne({ _id: 'd-old-done' as never, ...rest, completedAt: new Date().toISOString(), schemaVersion: 1 });
  expect(await ids()).toEqual([]);
  await repo.markRunning();
  expect(await ids()).toEqual(['d-old']);
});
