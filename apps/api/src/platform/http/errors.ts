import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { databaseUnreachable } from '../db/unreachable.js';
import { Errors } from '../lib/errors.js';
import { describeValidation, type ErrorDetail, shorten } from './validation-errors.js';

interface ErrorBody {
  statusCode: number;
  code: string;
  error: string;
  message: string;
  details?: ErrorDetail[];
}

const body = (statusCode: number, code: string, message: string, details?: ErrorBody['details']): ErrorBody => ({
  statusCode,
  code,
  error: STATUS_CODES[statusCode] ?? 'Error',
  message,
  ...(details ? { details } : {}),
});

// Fastify's own client errors, reworded with Herald codes.

/** A body limit as a person reads it: `8 KB`, `1 MB`, or exactly, `1,600 bytes`. */
const sizeOf = (bytes: number) =>
  bytes % (1024 * 1024) === 0
    ? `${bytes / (1024 * 1024)} MB`
    : bytes % 1024 === 0
      ? `${bytes / 1024} KB`
      : `${bytes.toLocaleString('en')} bytes`;

const fastifyCodes: Record<string, (e: FastifyError, request: FastifyRequest) => [number, string, string]> = {
  FST_ERR_CTP_EMPTY_JSON_BODY: () => [
    400,
    'HERALD_ERR_MALFORMED_JSON',
    'The request body is empty but Content-Type is application/json; send a JSON object.',
  ],
  FST_ERR_CTP_BODY_TOO_LARGE: (_e, request) => [
    413,
    'HERALD_ERR_PAYLOAD_TOO_LARGE',
    `The request body is larger than the ${sizeOf(request.routeOptions.bodyLimit)} ${request.method} ${shorten(request.url.split('?')[0] ?? '/')} takes.`,
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

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * Errors the router meets before a route runs (Fastify's `frameworkErrors` option): a URL that
 * cannot be decoded, or a path parameter longer than the router takes.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const path = shorten(request.url.split('?')[0] ?? '/');
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return reply.code(414).send(body(414, 'HERALD_ERR_URI_TOO_LONG', `The path ${path} has a part that is too long.`));
  }
  return reply
    .code(400)
    .send(
      body(
        400,
        'HERALD_ERR_BAD_URL',
        `The path ${path} is not a valid URL: each % must start an escape such as %20, and the escapes must spell UTF-8 text.`,
      ),
    );
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (Fastify's `clientErrorHandler`):
 * too large a request line or headers, a timeout, or bytes that are not HTTP. Answered in the
 * same shape as every other error, then the connection is closed.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Duplex) {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [
          431,
          'HERALD_ERR_HEADERS_TOO_LARGE',
          'The URL and headers together are larger than the server accepts (16 KB); send a shorter URL.',
        ]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'HERALD_ERR_TIMEOUT', 'The request took too long to arrive.']
        : [400, 'HERALD_ERR_BAD_REQUEST', 'The request is not valid HTTP.'];
  const json = JSON.stringify(body(status, code, message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(json)}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy(error);
}

/**
 * One error handler for the whole app: every client error leaves as a 4xx with a stable code
 * and a sentence; anything else is logged with its request and leaves as a 500 without internals.
 */
export default fp(
  async function errors(fastify: FastifyInstance) {
    fastify.setErrorHandler((error: FastifyError, request, reply) => {
      if (error.validation) {
        const { code, message, details } = describeValidation(
          error.validation,
          error.validationContext ?? 'body',
          error.message,
        );
        return reply.code(400).send(body(400, code, message, details));
      }
      const known = error.code ? fastifyCodes[error.code] : undefined;
      if (known) {
        const [status, code, message] = known(error, request);
        return reply.code(status).send(body(status, code, message));
      }
      const status = error.statusCode ?? 500;
      if (status === 429) {
        const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
        if (typeof retryAfter === 'number') reply.header('retry-after', String(Math.ceil(retryAfter)));
        return reply.code(429).send(body(429, 'HERALD_ERR_RATE_LIMITED', error.message));
      }
      if (status >= 400 && status < 500) {
        const path = shorten(request.url.split('?')[0] ?? '/');
        // The static file server refuses a path that leaves its folder with a bare "Forbidden".
        if (status === 403 && error.message === 'Forbidden' && !error.code?.startsWith('HERALD_ERR_')) {
          const message = `${path} is not a path Herald serves: it leaves the served folder or is malformed.`;
          return reply.code(403).send(body(403, 'HERALD_ERR_PATH_FORBIDDEN', message));
        }
        const code = error.code?.startsWith('HERALD_ERR_') ? error.code : 'HERALD_ERR_BAD_REQUEST';
        const message =
          error.message === STATUS_CODES[status]
            ? `${request.method} ${path} was refused: ${error.message.toLowerCase()}.`
            : error.message;
        return reply.code(status).send(body(status, code, message));
      }
      if (status === 503 && error.code?.startsWith('HERALD_ERR_')) {
        request.log.warn({ err: error }, error.message);
        return reply.code(503).send(body(503, error.code, error.message));
      }
      // The database away (an outage, a failover) is for the client to retry, not a bug.
      if (databaseUnreachable(error)) {
        request.log.warn({ err: error, url: request.url, method: request.method }, 'database unreachable');
        const unavailable = new Errors.DatabaseUnavailable();
        return reply
          .code(503)
          .header('retry-after', '2')
          .send(body(503, unavailable.code, unavailable.message));
      }
      request.log.error({ err: error, url: request.url, method: request.method }, 'request failed');
      return reply
        .code(500)
        .send(
          body(500, 'HERALD_ERR_INTERNAL', `Something went wrong on our side; it was logged as request ${request.id}.`),
        );
    });

    // An unknown path is a 404; a known path asked with a method it does not take is a 405 that
    // says which methods it does take.
    fastify.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0] ?? '/';
      const allowed = METHODS.filter((method) => fastify.findRoute({ method, url: path }));
      // A route that takes this method and still found nothing (a file the static server does
      // not have under its wildcard) is a 404 like any other.
      if (allowed.length > 0 && !allowed.includes(request.method as (typeof METHODS)[number])) {
        return reply
          .code(405)
          .header('allow', allowed.join(', '))
          .send(
            body(
              405,
              'HERALD_ERR_METHOD_NOT_ALLOWED',
              `${request.method} is not allowed on ${shorten(path)}; it answers ${allowed.join(', ')}.`,
            ),
          );
      }
      // `team/alpha` written as is: its "/" splits the path.
      const slashed = /^\/v1\/topics\/[^/]+\/(?!subscribers$)[^?]+$/.test(path)
        ? ' A topic name\'s "/" is written %2F in a path (/v1/topics/team%2Falpha/subscribers).'
        : '';
      return reply
        .code(404)
        .send(
          body(404, 'HERALD_ERR_ROUTE_NOT_FOUND', `There is no route ${request.method} ${shorten(path)}.${slashed}`),
        );
    });
  },
  { name: 'herald-errors' },
);
