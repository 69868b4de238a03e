/**
 * What a webhook receives for an event: the generic JSON body (the event itself with a one-line
 * `text`), or a Slack-compatible message (`text` for notifications, `blocks` for the channel).
 */
import type { DeploymentEvidence, NotificationEvent } from './events';

export const WEBHOOK_FORMATS = ['generic', 'slack'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

const TITLES: Record<NotificationEvent['type'], string> = {
  'deployment.approval_needed': 'Approval needed',
  'deployment.approval_timed_out': 'Approval timed out',
  'deployment.promoted': 'Promoted',
  'deployment.rolled_back': 'Rolled back',
  'deployment.failed': 'Deployment failed',
  'model.drift_detected': 'Drift detected',
};

/** The measured reasons behind a decision, one line each. Example: a breached error rate → ["errorRate 5.0% > 1.0%"]. */
export function evidenceLines(e: DeploymentEvidence): string[] {
  return [...(e.metrics?.assessment?.reasons ?? []), ...(e.smokeTest?.reasons ?? []), ...(e.shadow?.reasons ?? [])];
}

/**
 * One sentence saying what happened. Example: rolled_back, trigger threshold → "HotSwap: fraud-detection
 * 2.0.0 was rolled back automatically in Production (threshold: …); 1.0.0 serves again, traffic restored in 412 ms."
 */
export function summarize(event: NotificationEvent): string {
  if (event.type === 'model.drift_detected') {
    const d = event.drift;
    return `HotSwap: drift in ${event.model.modelName} ${event.model.version} (${event.environment}): ${d.statistic} of ${d.subject} is ${d.value} (threshold ${d.threshold}).`;
  }
  const d = event.deployment;
  const what = `${d.strategy} deployment ${d.deploymentId} of ${d.modelName} ${d.version} to ${event.environment}`;
  switch (event.type) {
    case 'deployment.approval_needed': {
      const validation = event.validation ? (event.validation.passed ? 'validation passed' : 'validation FAILED') : 'not validated';
      return `HotSwap: ${what} waits for an Admin's approval until ${event.deadline} (${validation}).`;
    }
    case 'deployment.approval_timed_out':
      return `HotSwap: ${what} was cancelled: nobody decided by ${event.deadline ?? 'the deadline'}.`;
    case 'deployment.promoted':
      return `HotSwap: ${d.modelName} ${d.version} now serves all traffic in ${event.environment}${d.previousVersion ? ` (was ${d.previousVersion})` : ''}; ${d.strategy} deployment ${d.deploymentId}.`;
    case 'deployment.rolled_back': {
      const r = event.rollback;
      const how = event.automatic ? 'automatically' : `on request${r.requestedBy ? ` of ${r.requestedBy}` : ''}`;
      const restored = r.durationMs !== null ? `, traffic restored in ${r.durationMs} ms` : '';
      const back = d.previousVersion ? `; ${d.previousVersion} serves again${restored}` : restored;
      return `HotSwap: ${d.modelName} ${d.version} was rolled back ${how} in ${event.environment} (${r.trigger}: ${r.reason})${back}.`;
    }
    case 'deployment.failed':
      return `HotSwap: ${what} failed${event.trigger ? ` (${event.trigger})` : ''}: ${event.reason}.`;
  }
}

/** The generic JSON body: the event as it is, plus its one-line summary. */
export function genericPayload(event: NotificationEvent): Record<string, unknown> {
  return { ...event, text: summarize(event) };
}

interface SlackBlock {
  type: string;
  [key: string]: unknown;
}

/** A Slack-compatible message (incoming webhooks, and the chat tools that accept their format). */
export function slackPayload(event: NotificationEvent): { text: string; blocks: SlackBlock[] } {
  const text = summarize(event);
  const fields: string[] = [`*Environment*\n${event.environment}`];
  if (event.type === 'model.drift_detected') fields.push(`*Model*\n${event.model.modelName} ${event.model.version}`);
  else fields.push(`*Model*\n${event.deployment.modelName} ${event.deployment.version}`, `*Deployment*\n${event.deployment.deploymentId}`);
  if (event.type === 'deployment.rolled_back') fields.push(`*Trigger*\n${event.rollback.trigger} (${event.automatic ? 'automatic' : 'manual'})`);
  const evidence = 'evidence' in event ? evidenceLines(event.evidence) : [];
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `HotSwap: ${TITLES[event.type]}` } },
    { type: 'section', text: { type: 'mrkdwn', text } },
    { type: 'section', fields: fields.map((f) => ({ type: 'mrkdwn', text: f })) },
  ];
  if (evidence.length > 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Evidence*\n${evidence.map((l) => `• ${l}`).join('\n')}` } });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `event ${event.id} at ${event.occurredAt}` }] });
  return { text, blocks };
}

/** The body for a webhook of `format`. */
export function webhookPayload(event: NotificationEvent, format: WebhookFormat): unknown {
  return format === 'slack' ? slackPayload(event) : genericPayload(event);
}
