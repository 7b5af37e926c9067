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

export const errorResponses = (...codes: number[]) =>
  Object.fromEntries(codes.map((code) => [code, Type.Ref('ErrorResponse')]));

/**
 * A schema annotation (`x-herald-error`, shown in the OpenAPI document too) giving the code and
 * sentence the error handler answers with when one of these keywords of this schema fails.
 */
export const ERROR_ANNOTATION = 'x-herald-error';
export type RefusedWith = Partial<Record<'minProperties' | 'maxProperties', { code: string; message: string }>>;
export const refusedWith = (errors: RefusedWith) => ({ [ERROR_ANNOTATION]: errors });
