import { z } from 'zod';
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';

// Why here: `.openapi()` must be added to zod once before any schema that uses it is built.
extendZodWithOpenApi(z);

export { z };
