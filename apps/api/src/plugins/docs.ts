import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ErrorResponse } from '../schemas/common.js';

/** OpenAPI document built from the route schemas, with its UI at /docs. */
export default fp(
  async function docs(fastify: FastifyInstance) {
    fastify.addSchema(ErrorResponse);
    await fastify.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Herald API',
          description:
            'Send browser notifications with one call. Authenticate with `Authorization: Bearer <API key>`. ' +
            'Every error has a stable `code` and a `message` sentence.',
          version: '0.1.0',
        },
        components: {
          securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key of your app' } },
        },
      },
      refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    });
    await fastify.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'herald-docs' },
);
