/** The rule for an Admin's override of a failed validation gate (the overrideGate update and its API route). */
import { can } from '../permissions';
import type { Actor } from '../deployments/commands';

export interface GateOverrideCommand {
  by: Actor;
  /** The failed gate to let pass, e.g. "latency". */
  gate: string;
  reason: string;
}

export interface OverrideRefusal {
  code: 'FORBIDDEN' | 'VALIDATION_ERROR' | 'CONFLICT';
  message: string;
}

/**
 * Why an override would be refused, or null when it is accepted: the sender needs
 * deployments:approve (Admin), a reason of 1 to 2000 characters, and the deployment must be
 * waiting on that very gate (failed and overridable).
 * Example: waiting on ['latency'], gate 'accuracy' → CONFLICT 'gate accuracy has not failed …'.
 */
export function overrideRefusal(cmd: GateOverrideCommand, waitingOn: readonly string[]): OverrideRefusal | null {
  if (!cmd?.by || typeof cmd.by.id !== 'string' || cmd.by.id.length === 0) return { code: 'VALIDATION_ERROR', message: 'the command must say who sends it (by.id)' };
  if (!can(cmd.by.role, 'deployments:approve')) return { code: 'FORBIDDEN', message: `role ${cmd.by.role} may not override validation gates` };
  if (typeof cmd.reason !== 'string' || cmd.reason.trim().length === 0 || cmd.reason.length > 2000) return { code: 'VALIDATION_ERROR', message: 'a reason is required (1 to 2000 characters)' };
  if (waitingOn.length === 0) return { code: 'CONFLICT', message: 'no failed validation gate awaits an override' };
  if (!waitingOn.includes(cmd.gate)) return { code: 'CONFLICT', message: `gate ${cmd.gate} has not failed or cannot be overridden; awaiting an override: ${waitingOn.join(', ')}` };
  return null;
}
