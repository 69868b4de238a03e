import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
const phase = defineSearchAttributeKey('DeploymentPhase', SearchAttributeType.KEYWORD);
async function main() {
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: '/work/main/.tools/bin/temporal-test-server' } } });
  await env.connection.operatorService.addSearchAttributes({ namespace: 'default', searchAttributes: { ModelName: 2, DeploymentPhase: 2 } });
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'q', workflowsPath: require.resolve('./wf') });
  await worker.runUntil(async () => {
    const h = await env.client.workflow.start('sa', { taskQueue: 'q', workflowId: 'x1', typedSearchAttributes: [{ key: defineSearchAttributeKey('ModelName', SearchAttributeType.KEYWORD), value: 'm' }] });
    console.log(await h.result());
    const d = await h.describe();
    console.log(d.typedSearchAttributes.get(phase), JSON.stringify(d.searchAttributes));
  });
  await env.teardown();
}
main().catch((e) => { console.error('ERR', e); process.exit(1); });
