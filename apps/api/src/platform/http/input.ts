import { AjvCompiler, type Options as AjvOptions } from '@fastify/ajv-compiler';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import { Errors } from '../lib/errors.js';
import { jsonDeeperThan, MAX_JSON_DEPTH } from '../lib/json.js';
import { unstorableText } from '../lib/text.js';
import { shorten } from './validation-errors.js';

type BuildValidator = NonNullable<
  NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']
>;

/**
 * Fastify's validators, as they are, except that a body's JSON is taken as typed: `"10"` is not a
 * number and `"a"` is not `["a"]`. The path, query string and headers are text, so there Ajv still
 * reads `?limit=10` as a number and one `?status=` as a list of one.
 */
export function exactBodies(): BuildValidator {
  const pool = AjvCompiler();
  return (externalSchemas, options) => {
    const text = pool(externalSchemas, options);
    // Herald's Ajv is never in JTD mode (app.ts).
    const customOptions: AjvOptions = { ...(options?.customOptions as AjvOptions), coerceTypes: false };
    const json = pool(externalSchemas, { ...options, mode: undefined, customOptions });
    return (route) => (route.httpPart === 'body' ? json : text)(route);
  };
}

/**
 * What a request may carry. A body is JSON (anything else is a 415, which also keeps cross-site
 * forms out), at most `bodyLimit` bytes (413) and nested at most MAX_JSON_DEPTH deep (400, checked
 * before parsing, so nothing downstream can overflow its stack); its text, the path's and the
 * query string's are text PostgreSQL can store; numbers in the path and query string are finite.
 */
export default fp(
  async function input(fastify: FastifyInstance) {
    // JSON only: anything else is a 415 rather than a string that fails validation.
    fastify.removeContentTypeParser(['application/json', 'text/plain']);
    // Fastify's own parser, which also refuses `__proto__` and `constructor.prototype` keys.
    const parseJson = fastify.getDefaultJsonParser('error', 'error');
    // Bytes that are not UTF-8 are refused, not silently replaced with U+FFFD.
    const utf8 = new TextDecoder('utf-8', { fatal: true });
    // Bodies whose JSON has no \u escape: decoded as strict UTF-8, such text can hold neither a
    // NUL (JSON refuses it raw) nor a lone surrogate, so the walk below has nothing to find.
    const escapeFree = new WeakSet<object>();
    fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, raw, done) => {
      // A compressed body is not read as if it were text (it is not UTF-8, and not JSON).
      const encoding = request.headers['content-encoding']?.trim().toLowerCase();
      if (encoding && encoding !== 'identity')
        return done(new Errors.ContentEncoding(shorten(encoding, 40)), undefined);
      let json: string;
      try {
        json = utf8.decode(raw as Buffer);
      } catch {
        return done(new Errors.BodyNotUtf8(), undefined);
      }
      // A route that takes no body accepts an empty one, as many clients send with this header.
      if (json.length === 0 && !request.routeOptions.schema?.body) return done(null, undefined);
      if (jsonDeeperThan(json, MAX_JSON_DEPTH)) return done(new Errors.JsonTooDeep(MAX_JSON_DEPTH), undefined);
      if (!json.includes('\\u')) escapeFree.add(request);
      return parseJson(request, json, (error, body) => {
        if (!error) return done(null, body);
        // Where the JSON breaks, in JSON.parse's words; valid JSON refused all the same has a
        // prototype-polluting key: say so, not "not valid JSON".
        const problem = jsonProblem(json);
        return done(problem ? new Errors.MalformedJson(problem) : new Errors.ForbiddenKey(), undefined);
      });
    });

    // Text PostgreSQL cannot store (NUL, lone surrogates) is a 400 here, not a 500 at the database.
    // Only the parts a route declares are read, so only those are checked.
    fastify.addHook('preValidation', async (request) => {
      const schema = request.routeOptions.schema;
      for (const [part, value, declared] of [
        ['body', request.body, schema?.body],
        ['params', request.params, schema?.params],
        ['querystring', request.query, schema?.querystring],
      ] as const) {
        const bad = declared && !(part === 'body' && escapeFree.has(request)) ? unstorableText(value) : undefined;
        if (bad) {
          throw new Errors.Invalid(
            `${part}.${bad} contains a NUL character or an unpaired surrogate, which cannot be stored.`,
          );
        }
      }
    });

    // Ajv turns "1e400" or "Infinity" in a query string into Infinity for an integer and then
    // skips its minimum and maximum: what passed validation must still be a finite number.
    fastify.addHook('preHandler', async (request) => {
      for (const [part, values] of [
        ['querystring', request.query],
        ['params', request.params],
      ] as const) {
        for (const [key, value] of Object.entries((values ?? {}) as Record<string, unknown>)) {
          if (typeof value === 'number' && !Number.isFinite(value)) {
            throw new Errors.Invalid(`${part}.${key} must be a finite number.`);
          }
        }
      }
    });
  },
  { name: 'herald-input', dependencies: ['herald-errors'] },
);

/** Why `text` is not JSON (JSON.parse's sentence, without a final stop, cut short), or undefined when it is. */
function jsonProblem(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    const said = (error as Error).message.replace(/\.$/, '');
    return said.length > 200 ? `${said.slice(0, 200)}…` : said;
  }
}
