import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ERROR_ANNOTATION, type RefusedWith } from '../../schemas/common.js';

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
const shorten = (text: string, max = 200) => (text.length > max ? `${text.slice(0, max)}…` : text);

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

/** What a value refused by a `format` should have been. */
const FORMATS: Record<string, string> = {
  uuid: 'is not an id of the form 123e4567-e89b-12d3-a456-426614174000',
  'date-time': 'is not a date and time such as 2026-01-31T09:00:00Z',
};

/** A JSON type, as a sentence names it. */
const TYPES: Record<string, string> = {
  string: 'text (a string)',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list (an array)',
  null: 'null',
};

/** Ajv's size and range keywords ("must NOT have more than 64 characters", "must be >= 1"), as sentences. */
const BOUNDS: Record<string, (limit: number) => string> = {
  maxLength: (n) => `must be at most ${n} character${n === 1 ? '' : 's'} long`,
  minLength: (n) => (n === 1 ? 'must not be empty' : `must be at least ${n} characters long`),
  maxItems: (n) => `must list at most ${n} item${n === 1 ? '' : 's'}`,
  minItems: (n) => (n === 1 ? 'must list at least one item' : `must list at least ${n} items`),
  maxProperties: (n) => `must have at most ${n} propert${n === 1 ? 'y' : 'ies'}`,
  minProperties: (n) => (n === 1 ? 'must not be empty' : `must have at least ${n} properties`),
  maximum: (n) => `must be at most ${n}`,
  minimum: (n) => `must be at least ${n}`,
  exclusiveMaximum: (n) => `must be less than ${n}`,
  exclusiveMinimum: (n) => `must be more than ${n}`,
};

/**
 * A JSON pointer (`/notifications/0/to/topics/team~1a`) as a path people read, in the notation the
 * batch's items use: `.notifications[0].to.topics.team/a`.
 */
const pathOf = (pointer: string) =>
  pointer
    .split('/')
    .slice(1)
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part.replaceAll('~1', '/').replaceAll('~0', '~')}`))
    .join('');

/** Keywords of a field that takes several forms: the summary, and each form's own type check. */
const CHOICE = new Set(['anyOf', 'oneOf']);
const FORM = new Set(['type', 'const']);

/** One failed keyword of a JSON-schema validation (Ajv's shape, as Fastify reports it). */
export interface SchemaProblem {
  keyword: string;
  instancePath: string;
  params: unknown;
  message?: string;
}

/**
 * Ajv's "body/to/userIds must NOT have more than 10000 items" → a readable sentence per problem, each
 * path starting with `context` (`body`, `querystring`, or `notifications[3]` for a batch item).
 * A schema may name its own code and sentence for a keyword (`x-herald-error`, read from Ajv's
 * `verbose` output); the first problem's code is the error's.
 */
export function describeValidation(
  problems: readonly SchemaProblem[],
  context: string,
  fallback = 'The request is not valid.',
): { code: string; message: string; details: NonNullable<ErrorBody['details']> } {
  let code = 'HERALD_ERR_VALIDATION';
  // A field that takes several forms (a mode or null, an object or null) reports each form's
  // complaint. A value that failed a finer check of one form (inside it, or a keyword other than
  // its type) was in that form: the other forms' type complaints ("must be null") and the summary
  // ("is none of the forms") are noise. (Without allErrors, several problems at one path come only
  // from such forms.)
  const within = (v: SchemaProblem, path: string) => v.instancePath === path || v.instancePath.startsWith(`${path}/`);
  const finer = (path: string) =>
    problems.some(
      (p) => within(p, path) && (p.instancePath !== path || !(CHOICE.has(p.keyword) || FORM.has(p.keyword))),
    );
  const kept = problems.filter((v) => {
    if (CHOICE.has(v.keyword))
      return !problems.some((p) => p !== v && within(p, v.instancePath) && !CHOICE.has(p.keyword));
    if (FORM.has(v.keyword)) return !finer(v.instancePath);
    return true;
  });
  // The forms that remain at one path are said once: "must be an object or null".
  const relevant = kept.filter(
    (v, i) =>
      !(FORM.has(v.keyword) && kept.findIndex((k) => k.instancePath === v.instancePath && k.keyword === v.keyword) < i),
  );
  const formsAt = (v: SchemaProblem) =>
    kept
      .filter((k) => k.instancePath === v.instancePath && k.keyword === v.keyword)
      .map((k) => k.params as Record<string, unknown>);
  // (The deepest problem is never left out, so one always remains.)
  const details = relevant.map((v, i) => {
    const params = v.params as Record<string, unknown>;
    let path = `${context}${pathOf(v.instancePath)}`;
    let message = v.message ?? 'is invalid';
    // Ajv's `verbose` option adds the failing schema, which Fastify's type does not declare.
    const schema = (v as { parentSchema?: Record<string, unknown> }).parentSchema;
    const annotated = (schema?.[ERROR_ANNOTATION] as RefusedWith | undefined)?.[v.keyword as keyof RefusedWith];
    if (annotated) {
      message = annotated.message;
      if (i === 0) code = annotated.code;
    } else if (v.keyword === 'required') {
      path = `${path}.${String(params.missingProperty)}`;
      message = 'is required';
    } else if (v.keyword === 'additionalProperties') {
      path = `${path}.${String(params.additionalProperty)}`;
      message = 'is not a known property';
    } else if (v.keyword === 'enum') {
      message = `must be one of ${(params.allowedValues as unknown[]).map((a) => JSON.stringify(a)).join(', ')}`;
    } else if (v.keyword === 'const') {
      const values = formsAt(v).map((p) => JSON.stringify(p.allowedValue));
      message = values.length > 1 ? `must be one of ${values.join(', ')}` : `must be ${values[0]}`;
    } else if (v.keyword === 'uniqueItems') {
      // Ajv: items i and j are equal (either may be the first); `verbose` adds the list itself (`data`).
      const [first, again] = [Number(params.i), Number(params.j)].sort((a, b) => a - b) as [number, number];
      const list = (v as { data?: unknown }).data;
      const value = Array.isArray(list) ? JSON.stringify(list[again]) : undefined;
      message = `names ${value === undefined ? 'a value' : shorten(value, 80)} twice (items ${first + 1} and ${again + 1}): list each once`;
    } else if (v.keyword === 'pattern') {
      // Never the regular expression: what the field takes, when its schema says so.
      const description = schema?.description;
      message = `is not in the form this field takes${typeof description === 'string' ? ` (${shorten(description, 200)})` : ''}`;
    } else if (v.keyword === 'anyOf' || v.keyword === 'oneOf') {
      message = 'is none of the forms this field takes';
    } else if (v.keyword === 'format') {
      message = FORMATS[String(params.format)] ?? `is not a valid ${String(params.format)}`;
    } else if (v.keyword === 'type') {
      const types = [...new Set(formsAt(v).flatMap((p) => String(p.type).split(',')))];
      message = `must be ${types.map((t) => TYPES[t] ?? t).join(' or ')}`;
    } else if (v.keyword in BOUNDS) {
      message = (BOUNDS[v.keyword] as (limit: number) => string)(Number(params.limit));
    }
    return { path, message };
  });
  const first = details[0];
  return { code, message: first ? `${first.path} ${first.message}.` : fallback, details };
}

/** Ajv plugin: `x-herald-error` is an annotation (read by the error handler), not a check. */
export function errorAnnotations<T extends { addKeyword(keyword: string): T }>(ajv: T): T {
  return ajv.addKeyword(ERROR_ANNOTATION);
}

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
