import { z } from './zod';
import { ERROR_CATALOGUE } from '../../domain/errors';

export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_CATALOGUE) as [keyof typeof ERROR_CATALOGUE]),
      message: z.string(),
      details: z.array(z.object({ field: z.string(), message: z.string() })),
      traceId: z.string().nullable(),
      timestamp: z.string(),
    }),
  })
  .openapi('ErrorBody');

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ErrorBodySchema } } });

/** The error responses every protected route can give, for the OpenAPI document. */
export const commonErrors = {
  400: errorResponse('VALIDATION_ERROR with field-level details'),
  401: errorResponse('UNAUTHORIZED'),
  403: errorResponse('FORBIDDEN'),
  429: errorResponse('RATE_LIMIT_EXCEEDED (see Retry-After)'),
} as const;

export const jsonBody = <T extends z.ZodType>(schema: T, description = '') => ({ description, content: { 'application/json': { schema } } });
export { errorResponse };
