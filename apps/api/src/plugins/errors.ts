import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

interface ErrorBody {
  statusCode: number;
  code: string;
  error: string;
  message: string;
  details?: Array<{ path: string; message: string }>;
}

const body = (statusCode: number, code: string, message: string, details?: ErrorBody['details']): ErrorBody => ({
  statusCode,
  code,
  error: STATUS_CODES[statusCode] ?? 'Error',
  message,
  ...(details ? { details } : {}),
});

// Fastify's own client errors, reworded with Herald codes.
const fastifyCodes: Record<string, (e: FastifyError) => [number, string, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: (e) => [
    400,
    'HERALD_ERR_MALFORMED_JSON',
    `The request body is not valid JSON: ${e.message}`,
  ],
  FST_ERR_CTP_EMPTY_JSON_BODY: () => [
    400,
    'HERALD_ERR_MALFORMED_JSON',
    'The request body is empty but Content-Type is application/json; send a JSON object.',
  ],
  FST_ERR_CTP_BODY_TOO_LARGE: (e) => [
    413,
    'HERALD_ERR_PAYLOAD_TOO_LARGE',
    `The request body is too large: ${e.message}`,
  ],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => [
    415,
    'HERALD_ERR_UNSUPPORTED_MEDIA_TYPE',
    'Send the body as JSON with "Content-Type: application/json".',
  ],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => [
    400,
    'HERALD_ERR_BAD_REQUEST',
    'The Content-Length header does not match the body.',
  ],
};

/** One failed keyword of a JSON-schema validation (Ajv's shape, as Fastify reports it). */
export interface SchemaProblem {
  keyword: string;
  instancePath: string;
  params: unknown;
  message?: string;
}

/**
 * "body/to/userIds must NOT have more than 10000 items" → a readable sentence per problem, each
 * path starting with `context` (`body`, `querystring`, or `notifications[3]` for a batch item).
 */
export function describeValidation(
  problems: readonly SchemaProblem[],
  context: string,
  fallback = 'The request is not valid.',
): { message: string; details: NonNullable<ErrorBody['details']> } {
  const details = problems.map((v) => {
    const params = v.params as Record<string, unknown>;
    let path = `${context}${v.instancePath.replaceAll('/', '.')}`;
    let message = v.message ?? 'is invalid';
    if (v.keyword === 'required') {
      path = `${path}.${String(params.missingProperty)}`;
      message = 'is required';
    } else if (v.keyword === 'additionalProperties') {
      path = `${path}.${String(params.additionalProperty)}`;
      message = 'is not a known property';
    }
    return { path, message };
  });
  const first = details[0];
  return { message: first ? `${first.path} ${first.message}.` : fallback, details };
}

/**
 * One error handler for the whole app: every client error leaves as a 4xx with a stable code
 * and a sentence; anything else is logged with its request and leaves as a 500 without internals.
 */
export default fp(
  async function errors(fastify: FastifyInstance) {
    fastify.setErrorHandler((error: FastifyError, request, reply) => {
      if (error.validation) {
        const { message, details } = describeValidation(
          error.validation,
          error.validationContext ?? 'body',
          error.message,
        );
        return reply.code(400).send(body(400, 'HERALD_ERR_VALIDATION', message, details));
      }
      const known = error.code ? fastifyCodes[error.code] : undefined;
      if (known) {
        const [status, code, message] = known(error);
        return reply.code(status).send(body(status, code, message));
      }
      const status = error.statusCode ?? 500;
      if (status === 429) {
        return reply.code(429).send(body(429, 'HERALD_ERR_RATE_LIMITED', error.message));
      }
      if (status >= 400 && status < 500) {
        const code = error.code?.startsWith('HERALD_ERR_') ? error.code : 'HERALD_ERR_BAD_REQUEST';
        return reply.code(status).send(body(status, code, error.message));
      }
      if (status === 503 && error.code?.startsWith('HERALD_ERR_')) {
        request.log.warn({ err: error }, error.message);
        return reply.code(503).send(body(503, error.code, error.message));
      }
      request.log.error({ err: error, url: request.url, method: request.method }, 'request failed');
      return reply
        .code(500)
        .send(
          body(500, 'HERALD_ERR_INTERNAL', `Something went wrong on our side; it was logged as request ${request.id}.`),
        );
    });

    fastify.setNotFoundHandler((request, reply) => {
      reply
        .code(404)
        .send(
          body(404, 'HERALD_ERR_ROUTE_NOT_FOUND', `There is no route ${request.method} ${request.url.split('?')[0]}.`),
        );
    });
  },
  { name: 'herald-errors' },
);
