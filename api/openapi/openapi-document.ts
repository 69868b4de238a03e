import { OpenApiGeneratorV3 } from '@asteasolutions/zod-to-openapi';
import type { RouteCatalogue } from '../http/route-catalogue';

/** The OpenAPI 3 document, generated from the zod schemas the routes validate with. */
export function buildOpenApiDocument(catalogue: RouteCatalogue, serverUrl?: string): object {
  catalogue.openapi.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  catalogue.openapi.registerComponent('securitySchemes', 'apiKey', { type: 'apiKey', in: 'header', name: 'X-API-Key' });
  const generator = new OpenApiGeneratorV3(catalogue.openapi.definitions);
  return generator.generateDocument({
    openapi: '3.0.3',
    info: {
      title: 'HotSwap API',
      version: '1.0.0',
      description: 'Register ONNX models and versions, run inference, and roll out versions with zero downtime. Errors use the body {error:{code,message,details,traceId,timestamp}}.',
    },
    servers: serverUrl ? [{ url: serverUrl }] : [],
  });
}
