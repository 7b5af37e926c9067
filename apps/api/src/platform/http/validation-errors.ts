import { ERROR_ANNOTATION, type RefusedWith } from '../../schemas/common.js';

// A schema validation's problems (Ajv's, as Fastify reports them) in the words of Herald's error
// bodies: one sentence per field, the code a schema names for it (`x-herald-error`), if any.

/** One problem of a request, in an error body's `details`. */
export interface ErrorDetail {
  path: string;
  message: string;
}

/** A text cut to `max` characters, as error sentences quote what the client sent. */
export const shorten = (text: string, max = 200) => (text.length > max ? `${text.slice(0, max)}…` : text);

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
): { code: string; message: string; details: ErrorDetail[] } {
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
