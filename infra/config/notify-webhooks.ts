/**
 * NOTIFY_WEBHOOKS: the webhooks each environment notifies, as JSON keyed by environment ("*" for
 * every environment). Secrets are never in it: a target names the variable that holds its secret.
 * Example: {"Production":[{"url":"https://hooks.example/hotswap","format":"generic","secretEnv":"HOTSWAP_HOOK_SECRET"}]}
 */
import { z } from 'zod';
import { ENVIRONMENTS } from '../../domain/deployments/enums';
import { NOTIFICATION_EVENT_TYPES } from '../../domain/notifications/events';
import { WEBHOOK_FORMATS } from '../../domain/notifications/payloads';
import type { WebhookTarget } from '../notifications/webhook-targets';
import { ConfigError } from './load';

const MIN_SECRET_LENGTH = 16;

const targetSchema = z
  .strictObject({
    url: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' }),
    format: z.enum(WEBHOOK_FORMATS).default('generic'),
    secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected the name of an environment variable').optional(),
    events: z.array(z.enum(NOTIFICATION_EVENT_TYPES)).min(1).optional(),
    name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected letters, digits, ".", "_" and "-"').optional(),
  })
  .refine((t) => t.format !== 'generic' || t.secretEnv !== undefined, { message: 'a generic webhook is signed: name its secret variable in secretEnv', path: ['secretEnv'] });

const webhooksSchema = z.partialRecord(z.enum([...ENVIRONMENTS, '*']), z.array(targetSchema));

/** A configured target before its secret is read. */
export type ConfiguredWebhook = Omit<WebhookTarget, 'secret'> & { secretEnv: string | null };

/** The zod field of NOTIFY_WEBHOOKS: JSON text → the list of targets, each named (default `<environment>-<index>`). */
export const notifyWebhooksField = () =>
  z
    .string()
    .default('{}')
    .transform((text, ctx): ConfiguredWebhook[] => {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected JSON such as {"Production":[{"url":"https://…","format":"generic","secretEnv":"HOOK_SECRET"}]}' });
        return z.NEVER;
      }
      const parsed = webhooksSchema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        ctx.addIssue({ code: 'custom', message: `${issue.path.join('.') || '(top level)'}: ${issue.message}` });
        return z.NEVER;
      }
      const targets = Object.entries(parsed.data).flatMap(([environment, list]) =>
        (list ?? []).map((t, i) => ({ name: t.name ?? `${environment === '*' ? 'all' : environment}-${i}`, environment: environment as ConfiguredWebhook['environment'], url: t.url, format: t.format, secretEnv: t.secretEnv ?? null, events: t.events ?? null })),
      );
      const names = targets.map((t) => t.name);
      const duplicate = names.find((n, i) => names.indexOf(n) !== i);
      if (duplicate) {
        ctx.addIssue({ code: 'custom', message: `two webhooks are named "${duplicate}"` });
        return z.NEVER;
      }
      return targets;
    });

/** Reads each target's secret from the variable it names; a missing or short secret is a ConfigError naming that variable. */
export function resolveWebhookSecrets(configured: readonly ConfiguredWebhook[], env: NodeJS.ProcessEnv): WebhookTarget[] {
  return configured.map(({ secretEnv, ...t }) => {
    if (secretEnv === null) return { ...t, secret: null };
    const secret = env[secretEnv];
    if (!secret) throw new ConfigError(secretEnv, `is required: the secret of webhook "${t.name}" (NOTIFY_WEBHOOKS), at least ${MIN_SECRET_LENGTH} characters`);
    if (secret.length < MIN_SECRET_LENGTH) throw new ConfigError(secretEnv, `is too short: the secret of webhook "${t.name}" needs at least ${MIN_SECRET_LENGTH} characters`);
    return { ...t, secret };
  });
}
