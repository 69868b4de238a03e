import type { z } from 'zod';
import { AppError, type ErrorDetail } from '../../domain/errors';

/** Turns zod issues into the spec's field-level details; unknown keys get one detail each. */
export function issuesToDetails(issues: readonly z.core.$ZodIssue[], prefix = ''): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const issue of issues) {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) details.push({ field: path ? `${path}.${key}` : key, message: 'is not a known field' });
    } else {
      details.push({ field: path || '(body)', message: issue.message });
    }
  }
  return details;
}

/** Parses `input` with `schema` or throws VALIDATION_ERROR with field-level details. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, prefix = '', message = 'Request validation failed'): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new AppError('VALIDATION_ERROR', message, issuesToDetails(result.error.issues, prefix));
  return result.data;
}
