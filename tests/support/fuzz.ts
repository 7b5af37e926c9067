/**
 * A schema-driven fuzzer for Herald's HTTP API, in the spirit of schemathesis (which is Python
 * and cannot be installed here). It reads the OpenAPI document the server serves at /docs/json
 * and, for every operation, sends requests generated from the operation's own schemas by
 * fast-check (seeded, so a run can be replayed): valid ones, and many invalid ones (wrong types,
 * missing or extra properties, huge, deep, unicode, NUL and surrogate strings, long and
 * undecodable path parameters, bad query strings, malformed JSON, other content types, methods
 * the path does not take), with and without credentials. Every answer must:
 *
 * - not be a server error (a 5xx the operation does not declare);
 * - have a status the operation declares (405 with an Allow header for a method it does not take);
 * - be 401 when credentials are missing or wrong (they are checked before anything else);
 * - be JSON that validates against the schema declared for its status;
 * - when a 4xx, carry a `HERALD_ERR_*` code and a message.
 */
import { Agent, request as httpRequest } from 'node:http';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import fc from 'fast-check';

// ajv-formats is CommonJS with `exports.default`: under NodeNext its default import is the module.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  patternProperties?: Record<string, Schema>;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  minProperties?: number;
  maxProperties?: number;
  [key: string]: unknown;
};

interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required: boolean;
  schema: Schema;
}

interface Operation {
  /** "POST /v1/notifications" */
  id: string;
  method: string;
  path: string;
  parameters: Parameter[];
  body?: Schema;
  security?: 'apiKey' | 'adminSession' | 'userToken';
  responses: Map<string, Schema | undefined>;
}

/** One request to send, and why. */
interface Case {
  kind: string;
  method: string;
  /** Path and query, raw (already percent-encoded as it should be sent). */
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Whose credentials: the owner's, a viewer's (dashboard routes), none, or this wrong header value. */
  credentials: 'valid' | 'viewer' | 'none' | { wrong: string };
}

export interface Finding {
  operation: string;
  kind: string;
  request: string;
  status: number;
  problem: string;
}

export interface FuzzTarget {
  baseUrl: string;
  apiKey: string;
  /** A cookie header of a signed-in admin with this role (called again if the fuzzer signed itself out). */
  signIn(role: 'owner' | 'viewer'): Promise<string>;
  /** A demo user token, if the demo endpoints are on. */
  demoToken?(): Promise<string | undefined>;
  /** Values that name existing things, by path parameter name: the valid cases use them half the time. */
  known?: Record<string, string[]>;
}

export interface FuzzOptions {
  seed: number;
  /** Requests per operation. */
  runs: number;
  /** Fewer (or more) for some operations, such as those that hash a password on purpose slowly. */
  runsFor?(operation: string): number | undefined;
  /** Stop generating after this long (the run reports how far it got). */
  deadlineMs: number;
  log?: (line: string) => void;
}

export interface FuzzReport {
  findings: Finding[];
  requests: number;
  operations: number;
  /** operation → status → count */
  statuses: Record<string, Record<number, number>>;
  completed: boolean;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

// ---------------------------------------------------------------------------------------------
// The document

interface OpenApi {
  paths: Record<string, Record<string, RawOperation>>;
  components?: { schemas?: Record<string, Schema> };
}
interface RawOperation {
  parameters?: Array<{ in: string; name: string; required?: boolean; schema: Schema }>;
  requestBody?: { content: Record<string, { schema: Schema }> };
  security?: Array<Record<string, unknown>>;
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}

/** Inlines `#/components/schemas/*` references (Herald's schemas are not recursive). */
function deref(schema: unknown, components: Record<string, Schema>): unknown {
  if (Array.isArray(schema)) return schema.map((s) => deref(s, components));
  if (!schema || typeof schema !== 'object') return schema;
  const ref = (schema as Schema).$ref;
  if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
    const target = components[ref.slice('#/components/schemas/'.length)];
    if (!target) throw new Error(`The OpenAPI document refers to ${ref}, which it does not define.`);
    return deref(target, components);
  }
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, deref(v, components)]));
}

export function operationsOf(doc: OpenApi): Operation[] {
  const components = doc.components?.schemas ?? {};
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, raw]) => {
      const op = deref(raw, components) as RawOperation;
      return {
        id: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        parameters: (op.parameters ?? []).map((p) => ({
          in: p.in as Parameter['in'],
          name: p.name,
          required: p.required === true,
          schema: p.schema,
        })),
        body: op.requestBody?.content['application/json']?.schema,
        security: Object.keys(op.security?.[0] ?? {})[0] as Operation['security'],
        responses: new Map(
          Object.entries(op.responses).map(([status, r]) => [status, r.content?.['application/json']?.schema]),
        ),
      };
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Values from schemas

const text = (min = 0, max = 24) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.string({ minLength: min, maxLength: max }) },
    { weight: 1, arbitrary: fc.string({ minLength: min, maxLength: max, unit: 'grapheme' }) },
  );

/** Valid values of `schema` (as far as this generator understands it). */
export function arbitraryOf(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || Object.keys(schema).filter((k) => !['description', 'title', 'examples'].includes(k)).length === 0) {
    // Any JSON (`data`).
    return fc.jsonValue({ maxDepth: 3 });
  }
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return fc.oneof(...union.map((s) => arbitraryOf(s, depth + 1)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return stringOf(schema);
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 100_000 });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const constraints = { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, 4) };
      const items = arbitraryOf(schema.items, depth + 1);
      return schema.uniqueItems
        ? fc.uniqueArray(items, { ...constraints, selector: (v) => JSON.stringify(v) })
        : fc.array(items, constraints);
    }
    case 'object':
      return objectOf(schema, depth);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function stringOf(schema: Schema): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? 64;
  const fits = (s: string) => s.length >= min && s.length <= max;
  if (schema.format === 'date-time') {
    const now = Date.now();
    return fc
      .date({ min: new Date(now - 30 * 86_400_000), max: new Date(now + 30 * 86_400_000), noInvalidDate: true })
      .map((d) => d.toISOString());
  }
  if (schema.format === 'uuid') return fc.uuid();
  if (schema.pattern) {
    return fc.stringMatching(new RegExp(schema.pattern)).filter(fits);
  }
  return text(min, Math.min(max, 40));
}

function objectOf(schema: Schema, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const properties = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const optional = Object.keys(properties).filter((k) => !required.has(k));
  const minProps = schema.minProperties ?? 0;
  const maxProps = schema.maxProperties ?? Number.POSITIVE_INFINITY;
  const minOptional = Math.max(0, minProps - required.size);
  const maxOptional = Math.max(minOptional, Math.min(optional.length, maxProps - required.size));
  const additional =
    schema.additionalProperties === false || schema.additionalProperties === undefined
      ? undefined
      : schema.additionalProperties === true
        ? fc.jsonValue({ maxDepth: 1 })
        : arbitraryOf(schema.additionalProperties, depth + 1);
  const pattern = schema.patternProperties ? Object.values(schema.patternProperties)[0] : undefined;
  return fc
    .tuple(
      fc.subarray(optional, { minLength: minOptional, maxLength: maxOptional }),
      pattern || additional
        ? fc.dictionary(
            fc.string({ minLength: 1, maxLength: 8 }),
            pattern ? arbitraryOf(pattern) : (additional as fc.Arbitrary<unknown>),
            {
              maxKeys: 2,
            },
          )
        : fc.constant({}),
    )
    .chain(([chosen, extra]) => {
      const keys = [...required, ...chosen];
      return fc
        .tuple(...keys.map((k) => arbitraryOf(properties[k], depth + 1)))
        .map((values) => ({ ...extra, ...Object.fromEntries(keys.map((k, i) => [k, values[i]])) }));
    });
}

// ---------------------------------------------------------------------------------------------
// Invalid values

const nested = (depth: number) => `${'['.repeat(depth)}0${']'.repeat(depth)}`;
const DEEP = '"__herald_fuzz_deep__"';

/** Values that are wrong almost anywhere, or strange enough to break a careless handler. */
const strange = fc.constantFrom<unknown>(
  null,
  true,
  0,
  -1,
  1.5,
  -2_147_483_649,
  1e308,
  '',
  ' ',
  'x',
  'é🙂ß',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udc00x',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '../../etc/passwd',
  '9999-99-99T99:99:99Z',
  '2026-06-30T23:59:60Z',
  '0000-01-01T00:00:00Z',
  'x'.repeat(257),
  'x'.repeat(5000),
  [],
  [null],
  {},
  { nested: { deeper: [1, 'two', null] } },
  DEEP,
);

type PathPart = string | number;

/** Every position in a JSON value, the root first. */
function positions(value: unknown, at: PathPart[] = []): PathPart[][] {
  const here = [at];
  if (Array.isArray(value)) return here.concat(...value.map((v, i) => positions(v, [...at, i])));
  if (value && typeof value === 'object') {
    return here.concat(...Object.entries(value).map(([k, v]) => positions(v, [...at, k])));
  }
  return here;
}

function setAt(root: unknown, path: PathPart[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<PathPart, unknown>;
  let node = copy;
  for (const part of path.slice(0, -1)) node = node[part] as Record<PathPart, unknown>;
  node[path.at(-1) as PathPart] = value;
  return copy;
}

function removeAt(root: unknown, path: PathPart[]): unknown {
  if (path.length === 0) return undefined;
  const copy = structuredClone(root) as Record<PathPart, unknown>;
  let node = copy;
  for (const part of path.slice(0, -1)) node = node[part] as Record<PathPart, unknown>;
  const last = path.at(-1) as PathPart;
  if (Array.isArray(node)) node.splice(Number(last), 1);
  else delete node[last];
  return copy;
}

/** A JSON text; the DEEP marker becomes a value nested 10,000 deep. */
const json = (value: unknown) => JSON.stringify(value)?.replaceAll(DEEP, nested(10_000)) ?? '';

const MALFORMED_BODIES = [
  '',
  '{',
  '{"to":',
  'nul',
  '[]',
  '"text"',
  '42',
  'null',
  '{}garbage',
  '{"a":1,"a":2}',
  '\ufeff{}',
  '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"admin":true}}}',
  nested(10_000),
  `{"a":${nested(65)}}`,
  `"${'x'.repeat(300_000)}"`,
];

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/vnd.api+json',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'application/json;;;',
  'not a type',
];

const WRONG_CREDENTIALS: Record<NonNullable<Operation['security']>, string[]> = {
  apiKey: [
    `Bearer hk_${'0'.repeat(40)}`,
    'Bearer',
    'Bearer ',
    'Basic dXNlcjpwYXNzd29yZA==',
    'bearer  two words',
    `Bearer ${'a'.repeat(5_000)}`,
    'Token abc',
  ],
  adminSession: [
    'herald_session=forged',
    'herald_session=',
    'herald_session',
    `herald_session=${'a'.repeat(4_000)}`,
    '=;;=; herald_session=%zz',
    'other=1',
  ],
  userToken: ['Bearer a.b.c', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', `Bearer ${'a'.repeat(5_000)}`, 'Bearer'],
};

const STRANGE_SEGMENTS = [
  'a'.repeat(65),
  'a'.repeat(101),
  'a'.repeat(257),
  'a'.repeat(1_000),
  'a'.repeat(8_000),
  '%00',
  'a%00b',
  '%zz',
  '%E0%A4%A',
  '%ED%A0%80',
  '%2F',
  '..',
  '%2e%2e',
  encodeURIComponent('é🙂ß'),
  encodeURIComponent("' OR 1=1 --"),
  '%20',
];

const STRANGE_QUERY_VALUES = [
  '',
  'abc',
  '-1',
  '0',
  '1.5',
  '1e400',
  '99999999999999999999',
  'true',
  'null',
  '%00',
  '%zz',
  '%ED%A0%80',
  'x'.repeat(5_000),
  encodeURIComponent('é🙂ß'),
  encodeURIComponent('9999-99-99T99:99:99.999Z|00000000-0000-4000-8000-000000000000'),
  encodeURIComponent('2026-06-30T23:59:60Z'),
  encodeURIComponent('0000-01-01T00:00:00.000Z|00000000-0000-4000-8000-000000000000'),
];

// ---------------------------------------------------------------------------------------------
// Requests

/** A value as one path segment or query value, percent-encoded. */
function encodeValue(value: unknown): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  try {
    return encodeURIComponent(s);
  } catch {
    // A lone surrogate cannot be encoded as UTF-8: send what a careless client would.
    return escape(s);
  }
}

function headerValue(value: unknown): string {
  // Node refuses to send characters outside Latin-1 or control characters in a header.
  return String(typeof value === 'string' ? value : JSON.stringify(value)).replace(/[^\x20-\x7e]/g, '?');
}

interface Parts {
  path: Record<string, string>;
  query: Array<[string, string]>;
  headers: Record<string, string>;
  body?: string;
}

function buildUrl(op: Operation, parts: Parts): string {
  const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => parts.path[name] ?? 'x');
  const query = parts.query.map(([k, v]) => `${k}=${v}`).join('&');
  return query ? `${path}?${query}` : path;
}

/** Valid parameters and body for `op`. */
function validParts(op: Operation, known: Record<string, string[]>): fc.Arbitrary<Parts> {
  const param = (p: Parameter) => {
    const generated = arbitraryOf(p.schema);
    const pool = p.in === 'path' ? known[p.name] : undefined;
    return pool?.length ? fc.oneof(fc.constantFrom(...pool), generated) : generated;
  };
  const optional = (p: Parameter) => (p.required ? param(p) : fc.option(param(p), { nil: undefined }));
  // Half the time, a body's top-level properties named like a known value take one (an app that exists).
  const body = op.body
    ? fc.tuple(arbitraryOf(op.body), fc.boolean(), fc.nat()).map(([value, useKnown, n]) => {
        if (!useKnown || !value || typeof value !== 'object' || Array.isArray(value)) return value;
        const copy = { ...(value as Record<string, unknown>) };
        for (const key of Object.keys(copy)) {
          const pool = known[key];
          if (pool?.length) copy[key] = pool[n % pool.length];
        }
        return copy;
      })
    : fc.constant(undefined);
  return fc.tuple(fc.tuple(...op.parameters.map(optional)), body).map(([values, body]) => {
    const parts: Parts = { path: {}, query: [], headers: {} };
    op.parameters.forEach((p, i) => {
      const v = values[i];
      if (v === undefined) return;
      if (p.in === 'path') parts.path[p.name] = encodeValue(v);
      else if (p.in === 'query') parts.query.push([p.name, encodeValue(v)]);
      else parts.headers[p.name] = headerValue(v);
    });
    if (op.body) parts.body = json(body);
    return parts;
  });
}

type Mutation = (parts: Parts) => fc.Arbitrary<[string, Parts]>;

const bodyMutations = (op: Operation): Mutation[] => {
  const hasBody = BODY_METHODS.has(op.method);
  if (!hasBody) return [];
  const parsed = (parts: Parts) => (parts.body === undefined ? {} : JSON.parse(parts.body));
  return [
    // Any position replaced by a strange value.
    (parts) => {
      const value = parsed(parts);
      return fc
        .tuple(fc.constantFrom(...positions(value)), strange)
        .map(([at, v]) => [
          `body: ${at.join('.') || '(root)'} = ${String(JSON.stringify(v)).slice(0, 40)}`,
          { ...parts, body: json(setAt(value, at, v)) },
        ]);
    },
    // A property or element removed.
    (parts) => {
      const value = parsed(parts);
      const inner = positions(value).filter((p) => p.length > 0);
      if (inner.length === 0) return fc.constant(['body: nothing to remove', parts]);
      return fc
        .constantFrom(...inner)
        .map((at) => [`body: without ${at.join('.')}`, { ...parts, body: json(removeAt(value, at)) }]);
    },
    // An unknown property.
    (parts) => {
      const value = parsed(parts);
      const objects = positions(value).filter((p) => {
        let node: unknown = value;
        for (const k of p) node = (node as Record<PathPart, unknown>)[k];
        return node !== null && typeof node === 'object' && !Array.isArray(node);
      });
      if (objects.length === 0) return fc.constant(['body: no object', parts]);
      return fc
        .tuple(fc.constantFrom(...objects), fc.constantFrom('__fuzz', 'constructor', 'toString', '__proto__x', 'é'))
        .map(([at, key]) => {
          const copy = structuredClone(value);
          let node = copy;
          for (const k of at) node = node[k];
          node[key] = 1;
          return [`body: extra ${[...at, key].join('.')}`, { ...parts, body: json(copy) }];
        });
    },
    // A body that is not the JSON the route wants, or not JSON at all.
    (parts) =>
      fc
        .constantFrom(...MALFORMED_BODIES)
        .map((body) => [`body: raw ${JSON.stringify(body.slice(0, 30))}`, { ...parts, body }]),
    // Another content type (sent with the valid body).
    (parts) =>
      fc
        .constantFrom(...CONTENT_TYPES)
        .map((type) => [`content-type: ${type}`, { ...parts, headers: { ...parts.headers, 'content-type': type } }]),
    // A body too large for the server.
    (parts) => fc.constant(['body: 300 KB', { ...parts, body: JSON.stringify({ pad: 'x'.repeat(300_000) }) }]),
  ];
};

const pathMutations = (op: Operation): Mutation[] =>
  op.parameters
    .filter((p) => p.in === 'path')
    .map(
      (p) => (parts) =>
        fc
          .constantFrom(...STRANGE_SEGMENTS)
          .map((segment) => [
            `path: ${p.name} = ${segment.slice(0, 30)} (${segment.length})`,
            { ...parts, path: { ...parts.path, [p.name]: segment } },
          ]),
    );

const queryMutations = (op: Operation): Mutation[] => {
  if (op.method !== 'GET') return [];
  const names = op.parameters.filter((p) => p.in === 'query').map((p) => p.name);
  return [
    (parts) =>
      fc
        .tuple(
          fc.constantFrom(...names, 'unknown', 'constructor', '__proto__'),
          fc.constantFrom(...STRANGE_QUERY_VALUES),
        )
        .map(([name, value]) => [
          `query: ${name} = ${value.slice(0, 30)}`,
          { ...parts, query: [...parts.query.filter(([k]) => k !== name), [name, value]] },
        ]),
    ...(names.length > 0
      ? [
          (parts: Parts) =>
            fc
              .constantFrom(...names)
              .map((name): [string, Parts] => [
                `query: ${name} twice`,
                { ...parts, query: [...parts.query, [name, '1'], [name, '2']] },
              ]),
        ]
      : []),
  ];
};

const headerMutations = (op: Operation): Mutation[] =>
  op.parameters
    .filter((p) => p.in === 'header')
    .map(
      (p) => (parts) =>
        fc
          .constantFrom('', 'x'.repeat(300), 'é', '%00')
          .map((value) => [
            `header: ${p.name} = ${value.slice(0, 20)}`,
            { ...parts, headers: { ...parts.headers, [p.name]: headerValue(value) } },
          ]),
    );

function caseFrom(
  op: Operation,
  kind: string,
  parts: Parts,
  credentials: Case['credentials'],
  method = op.method,
): Case {
  const headers = { ...parts.headers };
  if (parts.body !== undefined && !('content-type' in headers)) headers['content-type'] = 'application/json';
  return { kind, method, url: buildUrl(op, parts), headers, body: parts.body, credentials };
}

/** Every kind of request for `op`, as one arbitrary. */
function casesFor(op: Operation, known: Record<string, string[]>, allowed: string[]): fc.Arbitrary<Case> {
  const valid = validParts(op, known);
  const mutations = [...bodyMutations(op), ...pathMutations(op), ...queryMutations(op), ...headerMutations(op)];
  const wrongMethods = METHODS.filter((m) => !allowed.includes(m));
  const kinds: Array<{ weight: number; arbitrary: fc.Arbitrary<Case> }> = [
    { weight: 4, arbitrary: valid.map((parts) => caseFrom(op, 'valid', parts, 'valid')) },
  ];
  if (mutations.length > 0) {
    kinds.push({
      weight: 8,
      arbitrary: fc
        .tuple(valid, fc.constantFrom(...mutations))
        .chain(([parts, mutate]) => mutate(parts))
        .map(([kind, parts]) => caseFrom(op, kind, parts, 'valid')),
    });
  }
  if (op.security) {
    const wrong = fc.constantFrom(...WRONG_CREDENTIALS[op.security]).map((value) => ({ wrong: value }));
    kinds.push({
      weight: 2,
      arbitrary: fc
        .tuple(
          valid,
          fc.oneof(fc.constant('none' as const), wrong),
          fc.option(fc.constantFrom(...mutations), { nil: undefined }),
        )
        .chain(([parts, credentials, mutate]) =>
          (mutate ? mutate(parts) : fc.constant<[string, Parts]>(['valid', parts])).map(([kind, p]) =>
            caseFrom(op, `${credentials === 'none' ? 'no' : 'wrong'} credentials, ${kind}`, p, credentials),
          ),
        ),
    });
  }
  if (op.security === 'adminSession') {
    kinds.push({
      weight: 1,
      arbitrary: fc
        .tuple(valid, fc.option(fc.constantFrom(...mutations), { nil: undefined }))
        .chain(([parts, mutate]) =>
          (mutate ? mutate(parts) : fc.constant<[string, Parts]>(['valid', parts])).map(([kind, p]) =>
            caseFrom(op, `viewer, ${kind}`, p, 'viewer'),
          ),
        ),
    });
  }
  if (wrongMethods.length > 0) {
    kinds.push({
      weight: 1,
      arbitrary: fc
        .tuple(valid, fc.constantFrom(...wrongMethods))
        .map(([parts, method]) => caseFrom(op, `method ${method}`, parts, 'valid', method)),
    });
  }
  return fc.oneof(...kinds);
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

const CONCURRENCY = 4;
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function send(baseUrl: string, c: Case, credentials: Record<string, string>): Promise<Answer> {
  const base = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: base.hostname,
        port: base.port,
        method: c.method,
        path: c.url,
        agent,
        headers: {
          ...c.headers,
          ...credentials,
          ...(c.body !== undefined ? { 'content-length': Buffer.byteLength(c.body) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer in 30 s to ${c.method} ${c.url.slice(0, 200)}`)));
    req.on('error', reject);
    req.end(c.body);
  });
}

// ---------------------------------------------------------------------------------------------
// Checks

function makeValidator() {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  const cache = new Map<Schema, ValidateFunction>();
  return (schema: Schema, value: unknown): string | undefined => {
    let validate = cache.get(schema);
    if (!validate) {
      validate = ajv.compile(schema);
      cache.set(schema, validate);
    }
    return validate(value) ? undefined : ajv.errorsText(validate.errors, { dataVar: 'response' });
  };
}

function problemsWith(
  op: Operation,
  c: Case,
  answer: Answer,
  allowed: string[],
  validate: ReturnType<typeof makeValidator>,
): string[] {
  const problems: string[] = [];
  const status = String(answer.status);
  const wrongMethod = c.kind.startsWith('method ');
  const declared = op.responses.has(status);
  if (wrongMethod) {
    if (answer.status !== 405) problems.push(`a method the path does not take answered ${status}, not 405`);
    const allow = String(answer.headers.allow ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean)
      .sort();
    if (answer.status === 405 && allow.join() !== [...allowed].sort().join()) {
      problems.push(`Allow is "${answer.headers.allow}", the document says ${allowed.join(', ')}`);
    }
  } else {
    if (answer.status >= 500 && !declared) problems.push(`server error ${status}`);
    else if (!declared) problems.push(`status ${status} is not in the document`);
    // Credentials come first, except for a URL that cannot be decoded: it names no route yet.
    const undecodable = answer.status === 400 && answer.text.includes('"HERALD_ERR_BAD_URL"');
    const refused = c.credentials === 'none' || typeof c.credentials === 'object';
    if (refused && op.security && answer.status !== 401 && !undecodable && !(answer.status === 429 && declared)) {
      problems.push(`${c.credentials === 'none' ? 'no' : 'wrong'} credentials answered ${status}, not 401`);
    }
    // A viewer may look, not act: where the document says a role can be refused, it is, before anything else.
    if (c.credentials === 'viewer' && op.responses.has('403') && answer.status !== 403 && !undecodable) {
      problems.push(`a viewer's request answered ${status}, not 403`);
    }
  }
  const type = String(answer.headers['content-type'] ?? '');
  if (c.method === 'HEAD') return problems;
  // 204 No Content has no body to be JSON (RFC 9110 §15.3.5).
  if (answer.status === 204 && answer.text === '') return problems;
  let body: unknown;
  if (!type.includes('application/json')) {
    problems.push(`answered ${status} with content-type "${type}", not JSON`);
    return problems;
  }
  try {
    body = JSON.parse(answer.text);
  } catch {
    problems.push(`answered ${status} with a body that is not JSON`);
    return problems;
  }
  if (answer.status >= 400) {
    const e = body as { code?: unknown; message?: unknown };
    if (typeof e.code !== 'string' || !/^HERALD_ERR_[A-Z_]+$/.test(e.code))
      problems.push(`${status} without a HERALD_ERR_* code`);
    if (typeof e.message !== 'string' || e.message.length < 10) problems.push(`${status} without a message sentence`);
  }
  const schema = wrongMethod ? undefined : op.responses.get(status);
  if (schema) {
    const error = validate(schema, body);
    if (error) problems.push(`${status} does not match its declared schema: ${error.slice(0, 300)}`);
  }
  return problems;
}

function describe(c: Case): string {
  const body =
    c.body === undefined
      ? ''
      : ` ${c.body.length > 160 ? `${c.body.slice(0, 160)}… (${c.body.length} chars)` : c.body}`;
  const url = c.url.length > 160 ? `${c.url.slice(0, 160)}… (${c.url.length} chars)` : c.url;
  const type = c.headers['content-type'] ? ` [${c.headers['content-type']}]` : '';
  return `${c.method} ${url}${type}${body}`;
}

/** A small stable number per operation, so each one's cases do not depend on the others. */
function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h >>> 0;
}

// ---------------------------------------------------------------------------------------------

/** Fuzzes every operation of the OpenAPI document `target` serves. */
export async function fuzz(target: FuzzTarget, options: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const doc = (await (await fetch(new URL('/docs/json', target.baseUrl))).json()) as OpenApi;
  const operations = operationsOf(doc);
  const validate = makeValidator();
  const report: FuzzReport = {
    findings: [],
    requests: 0,
    operations: operations.length,
    statuses: {},
    completed: true,
  };
  // The methods a concrete path takes: those of every operation whose template matches it
  // (`/v1/notifications/batch` is also `/v1/notifications/{id}`).
  const templates = operations.map((o) => ({
    method: o.method,
    pattern: new RegExp(`^${o.path.replaceAll('.', '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));
  const allowedOn = (path: string) => {
    const methods = [...new Set(templates.filter((t) => t.pattern.test(path)).map((t) => t.method))];
    return methods.includes('GET') ? [...methods, 'HEAD'] : methods;
  };
  // Signing out is one of the operations: a new session is made when the next operation needs one.
  let cookie = await target.signIn('owner');
  let viewerCookie = await target.signIn('viewer');
  let signedOut = false;
  const demoToken = (await target.demoToken?.()) ?? 'none';
  const credentialsFor = (op: Operation, c: Case): Record<string, string> => {
    if (c.credentials === 'none') return {};
    const wrong = typeof c.credentials === 'object' ? c.credentials.wrong : undefined;
    switch (op.security) {
      case 'apiKey':
        return { authorization: wrong ?? `Bearer ${target.apiKey}` };
      case 'adminSession':
        return { cookie: wrong ?? (c.credentials === 'viewer' ? viewerCookie : cookie) };
      case 'userToken':
        return { authorization: wrong ?? `Bearer ${demoToken}` };
      default:
        // Operations open to anyone still get a session cookie, as a browser would send one.
        return c.credentials === 'valid' && op.path.startsWith('/admin/') ? { cookie } : {};
    }
  };

  for (const op of operations) {
    if (op.security === 'adminSession' && signedOut) {
      cookie = await target.signIn('owner');
      viewerCookie = await target.signIn('viewer');
      signedOut = false;
    }
    const opStarted = Date.now();
    const allowed = allowedOn(op.path);
    const cases = fc.sample(casesFor(op, target.known ?? {}, allowed), {
      seed: options.seed + hash(op.id),
      numRuns: options.runsFor?.(op.id) ?? options.runs,
    });
    const statuses: Record<number, number> = {};
    report.statuses[op.id] = statuses;
    const check = async (c: Case) => {
      let answer: Answer;
      try {
        answer = await send(target.baseUrl, c, credentialsFor(op, c));
      } catch (error) {
        const problem = `no answer: ${(error as Error).message}`;
        report.findings.push({ operation: op.id, kind: c.kind, request: describe(c), status: 0, problem });
        return;
      }
      report.requests++;
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      for (const problem of problemsWith(op, c, answer, allowedOn(c.url.split('?')[0] ?? ''), validate)) {
        report.findings.push({
          operation: op.id,
          kind: c.kind,
          request: describe(c),
          status: answer.status,
          problem: `${problem} — ${answer.text.slice(0, 200)}`,
        });
      }
      if (op.id === 'DELETE /admin/api/session' && c.credentials === 'valid' && answer.status === 200) {
        signedOut = true;
      }
    };
    // A few at a time, as a client with a small connection pool would send them.
    for (let i = 0; i < cases.length; i += CONCURRENCY) {
      if (Date.now() - started > options.deadlineMs) {
        report.completed = false;
        options.log?.(`stopped at the deadline, in ${op.id}`);
        return report;
      }
      await Promise.all(cases.slice(i, i + CONCURRENCY).map(check));
    }
    options.log?.(`${op.id}: ${JSON.stringify(statuses)} in ${Date.now() - opStarted} ms`);
  }
  return report;
}
