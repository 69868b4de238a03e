/** The buttons the signed-in role may use on this deployment, with the reason they send. */
import { useState } from 'preact/hooks';
import type { DeploymentDetail } from '../../../api/services/deployment-service';
import { ApiError, type Api, type Session } from '../api-client';
import { needsReason, visibleCommands, type Command } from '../commands';
import { html } from '../html';

export function CommandBar(props: { api: Api; session: Session; deployment: DeploymentDetail; onDone(): void }) {
  const d = props.deployment;
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState<Command | null>(null);
  const [outcome, setOutcome] = useState<{ command: Command; ok: boolean; text: string } | null>(null);
  const commands = visibleCommands(props.session.role, d);
  const send = async (c: Command) => {
    setBusy(c);
    setOutcome(null);
    try {
      // Without a reason where one is needed, the server's 400 (with the field) is the message shown.
      const body = reason.trim() ? { reason: reason.trim() } : {};
      await props.api.post(`/deployments/${encodeURIComponent(d.deploymentId)}/${c}`, body);
      setOutcome({ command: c, ok: true, text: `${c}: done` });
      setReason('');
    } catch (e) {
      setOutcome({ command: c, ok: false, text: e instanceof ApiError ? e.describe() : String(e) });
    } finally {
      setBusy(null);
      props.onDone();
    }
  };
  const result = outcome && html`<p data-command=${outcome.command} class=${outcome.ok ? 'ok' : 'error'} role=${outcome.ok ? 'status' : 'alert'}>${outcome.text}</p>`;
  if (commands.length === 0) return html`<div class="commands"><p class="muted commands-none">No commands for ${props.session.role} in this state.</p>${result}</div>`;
  return html`<div class="commands">
    <input name="reason" placeholder=${`reason (required for ${commands.filter(needsReason).join(', ') || 'none of these'})`} value=${reason} onInput=${(e: Event) => setReason((e.target as HTMLInputElement).value)} />
    ${commands.map((c) => html`<button key=${c} data-command=${c} class=${`command ${c}`} disabled=${busy !== null} onClick=${() => void send(c)}>${c}</button>`)}
    ${result}
  </div>`;
}
