import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { upsertSearchAttributes, sleep } from '@temporalio/workflow';
const phase = defineSearchAttributeKey('DeploymentPhase', SearchAttributeType.KEYWORD);
export async function sa(): Promise<string> {
  upsertSearchAttributes([{ key: phase, value: 'Deploying' }]);
  await sleep('1 day');
  return 'ok';
}
