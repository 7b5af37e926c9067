import Type from 'typebox';

/** The body of every error response. */
export const ErrorResponse = Type.Object(
  {
    statusCode: Type.Integer(),
    code: Type.String({ description: 'Stable machine-readable code, HERALD_ERR_*' }),
    error: Type.String({ description: 'HTTP reason phrase' }),
    message: Type.String({ description: 'What went wrong and what to do, in a sentence' }),
    details: Type.Optional(
      Type.Array(Type.Object({ path: Type.String(), message: Type.String() }), {
        description: 'Per-field problems, for validation errors',
      }),
    ),
  },
  { $id: 'ErrorResponse', title: 'Error' },
);

/** What each error status means, for the OpenAPI document; `code` and `message` say more. */
const MEANING: Record<number, string> = {
  400: 'The request is not valid; `code` says how and `message` what to change',
  401: 'Credentials are missing or not valid (they are checked before anything else)',
  403: 'Signed in, but your role cannot do this',
  404: 'It does not exist (in this app)',
  409: 'It cannot be done in its current state',
  412: 'Its precondition failed: If-None-Match: * and it already exists',
  413: 'The body is larger than HERALD_BODY_LIMIT',
  415: 'The body is not JSON, or is compressed (`code` says which)',
  422: 'The idempotency key was used for a different request in the last 24 hours',
  429: 'Too many requests; wait and retry',
  503: 'Redis, the queue or the database is unavailable; `code` says which, and whether anything was stored',
};

/**
 * `If-None-Match: *` on a create-or-change route: create it only; if it exists, 412 and nothing
 * changes (a form that creates cannot overwrite what is there).
 */
export const CreateOnlyHeaders = Type.Object({
  'if-none-match': Type.Optional(
    Type.String({
      maxLength: 200,
      description: '`*`: create it only; if it exists already, 412 (`HERALD_ERR_…_EXISTS`) and nothing changes',
    }),
  ),
});

/** Whether a request asked to create only (`If-None-Match: *`). */
export const createOnly = (headers: { 'if-none-match'?: string }) => headers['if-none-match']?.trim() === '*';

/** Headers an error status comes with (OpenAPI response headers). */
const ERROR_HEADERS: Record<number, Record<string, { type: string; description: string }>> = {
  429: { 'retry-after': { type: 'integer', description: 'Seconds to wait before retrying, when waiting helps' } },
  503: { 'retry-after': { type: 'integer', description: 'Seconds to wait before retrying, where one is known' } },
};

export const errorResponses = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((code) => [
      code,
      Type.Ref('ErrorResponse', {
        description: MEANING[code] ?? 'Error',
        ...(ERROR_HEADERS[code] ? { headers: ERROR_HEADERS[code] } : {}),
      }),
    ]),
  );

/**
 * A schema annotation (`x-herald-error`, shown in the OpenAPI document too) giving the code and
 * sentence the error handler answers with when one of these keywords of this schema fails.
 */
export const ERROR_ANNOTATION = 'x-herald-error';
export type RefusedWith = Partial<
  Record<
    | 'minProperties'
    | 'maxProperties'
    | 'type'
    | 'format'
    | 'minimum'
    | 'maximum'
    | 'pattern'
    | 'minLength'
    | 'maxLength',
    { code: string; message: string }
  >
>;
export const refusedWith = (errors: RefusedWith) => ({ [ERROR_ANNOTATION]: errors });

/** `refusedWith` for a cursor: any of these keywords failing is a 400 HERALD_ERR_CURSOR_INVALID. */
export const refusedAsCursor = (...keywords: Array<keyof RefusedWith>) =>
  refusedWith(
    Object.fromEntries(
      keywords.map((k) => [
        k,
        {
          code: 'HERALD_ERR_CURSOR_INVALID',
          message: "is not a cursor this list returned; pass the previous page's nextCursor unchanged",
        },
      ]),
    ),
  );
