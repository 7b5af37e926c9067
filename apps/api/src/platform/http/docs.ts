import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { ErrorResponse, errorResponses } from '../../schemas/common.js';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The statuses Herald's request handling gives a route before its handler runs, whatever the
 * route: a request body may be malformed or too deep (400), too large (413) or not JSON (415), and
 * declared parameters may fail their schema (400). Routes declare everything else themselves.
 */
function frameworkStatuses(route: RouteOptions): number[] {
  const schema = route.schema ?? {};
  const statuses: number[] = [];
  if ([route.method].flat().some((m) => BODY_METHODS.has(m))) statuses.push(400, 413, 415);
  if (schema.params || schema.querystring || schema.headers || schema.body) statuses.push(400);
  return statuses;
}

/**
 * OpenAPI document built from the route schemas, with its UI at /docs. `sessionCookie` names the
 * dashboard's session cookie (admin/session), for the document's `adminSession` scheme.
 */
export default fp(
  async function docs(fastify: FastifyInstance, opts: { sessionCookie: string }) {
    fastify.addSchema(ErrorResponse);
    // Before @fastify/swagger's own onRoute hook, so the document shows these statuses.
    fastify.addHook('onRoute', (route) => {
      if (!route.schema || route.schema.hide) return;
      const statuses = frameworkStatuses(route);
      if (statuses.length > 0) {
        route.schema = {
          ...route.schema,
          response: { ...errorResponses(...statuses), ...(route.schema.response as object | undefined) },
        };
      }
    });
    await fastify.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Herald API',
          description:
            'Send browser notifications with one call. Authenticate with `Authorization: Bearer <API key>`. ' +
            'Every error has a stable `code` and a `message` sentence, and every status an operation can ' +
            'answer is listed with it. Request bodies are JSON, uncompressed (415 otherwise), at most `HERALD_BODY_LIMIT` ' +
            'bytes (413) and nested at most 64 deep (400 `HERALD_ERR_JSON_TOO_DEEP`). A method a path does not ' +
            'take is a 405 with an `Allow` header; an unknown path is a 404. A Herald listening on a loopback ' +
            'address without `HERALD_PUBLIC_URL` answers a `Host` that is not a loopback name with 403 ' +
            '`HERALD_ERR_HOST_FORBIDDEN` (DNS rebinding). Besides the statuses listed, any call that reads the ' +
            'database may answer 503 `HERALD_ERR_DATABASE_UNAVAILABLE` (with `Retry-After`) while it does not ' +
            'answer, and a node that is shutting down answers 503 `HERALD_ERR_SHUTTING_DOWN`: retry both.',
          version: '0.1.0',
        },
        components: {
          securitySchemes: {
            apiKey: { type: 'http', scheme: 'bearer', description: 'An API key of your app' },
            adminSession: {
              type: 'apiKey',
              in: 'cookie',
              name: opts.sessionCookie,
              description: 'The dashboard session, from `POST /admin/api/session`',
            },
            userToken: {
              type: 'http',
              scheme: 'bearer',
              bearerFormat: 'JWT',
              description: 'A demo user token, from `POST /demo/session`',
            },
          },
        },
      },
      refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    });
    await fastify.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'herald-docs' },
);
