import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../src/platform/lib/json.js';
import { hashPassword } from '../src/platform/lib/secrets.js';
import { unstorableText } from '../src/platform/lib/text.js';
import { createTestDatabase, startStack, type TestDatabase, type TestStack } from './helpers.js';

let testDb: TestDatabase;
let stack: TestStack;
let ownerCookie: string;
let demoToken: string;

beforeAll(async () => {
  testDb = await createTestDatabase('postgres');
  stack = await startStack(testDb, { worker: false });
  const email = 'owner@contract.example';
  const password = 'correct horse battery';
  await stack.db.prisma.admin.create({ data: { email, role: 'owner', passwordHash: await hashPassword(password) } });
  const res = await stack.app.inject({ method: 'POST', url: '/admin/api/session', payload: { email, password } });
  const cookie = res.cookies.find((c) => c.name === 'herald_session');
  if (!cookie) throw new Error(`sign-in failed: ${res.body}`);
  ownerCookie = `herald_session=${cookie.value}`;
  demoToken = (await stack.app.inject({ method: 'POST', url: '/demo/session' })).json().token;
});
afterAll(async () => {
  await stack?.close();
  await testDb?.cleanup();
});

interface Operation {
  method: string;
  path: string;
  /** The credential the operation needs, if any. */
  security?: 'apiKey' | 'adminSession' | 'userToken';
}

/** Every operation of the OpenAPI document, with its path parameters filled in. */
async function operations(): Promise<Operation[]> {
  const doc = (await stack.app.inject({ url: '/docs/json' })).json() as {
    paths: Record<string, Record<string, { security?: Array<Record<string, string[]>> }>>;
  };
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path: path.replace(/\{[^}]+\}/g, () => randomUUID()),
      security: Object.keys(op.security?.[0] ?? {})[0] as Operation['security'],
    })),
  );
}

const credentials = (op: Operation): Record<string, string> =>
  op.security === 'apiKey'
    ? { authorization: `Bearer ${stack.apiKey}` }
    : op.security === 'adminSession'
      ? { cookie: ownerCookie }
      : op.security === 'userToken'
        ? { authorization: `Bearer ${demoToken}` }
        : {};

const nested = (depth: number, inner = '1') => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;

describe('deeply nested JSON', () => {
  it('refuses a body nested 10,000 deep with 400 HERALD_ERR_JSON_TOO_DEEP on every route that takes a body, with credentials or without', async () => {
    const withBody = (await operations()).filter((op) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(op.method));
    expect(withBody.length).toBeGreaterThan(15);
    const seen: string[] = [];
    for (const op of withBody) {
      for (const signedIn of [true, false]) {
        const res = await stack.app.inject({
          method: op.method as 'POST',
          url: op.path,
          headers: { 'content-type': 'application/json', ...(signedIn ? credentials(op) : {}) },
          payload: nested(10_000),
        });
        const label = `${op.method} ${op.path} ${signedIn ? 'with' : 'without'} credentials`;
        if (!signedIn && op.security) {
          // Authentication comes first: a caller without credentials learns nothing else.
          expect(res.statusCode, label).toBe(401);
        } else if (op.path.startsWith('/push/')) {
          // The service worker's routes take at most 8 KB: refused as too large before it is parsed.
          expect(res.statusCode, label).toBe(413);
          expect(res.json(), label).toMatchObject({ code: 'HERALD_ERR_PAYLOAD_TOO_LARGE' });
        } else {
          expect(res.statusCode, label).toBe(400);
          expect(res.json(), label).toMatchObject({ code: 'HERALD_ERR_JSON_TOO_DEEP' });
        }
        seen.push(label);
      }
    }
    // The two routes open to anyone were the ones that answered 500.
    expect(seen).toEqual(
      expect.arrayContaining(['POST /admin/api/session without credentials', 'POST /demo/session without credentials']),
    );
  });

  it('refuses deep data inside a notification, and accepts data nested to the limit', async () => {
    const send = (data: string) =>
      stack.app.inject({
        method: 'POST',
        url: '/v1/notifications',
        headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
        payload: `{"to":{"userId":"deep"},"title":"x","data":${data}}`,
      });
    const deep = await send(nested(10_000));
    expect(deep.statusCode).toBe(400);
    expect(deep.json().message).toBe(
      `The JSON body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep; send a flatter document.`,
    );
    // The body itself is one level: data may nest one less than the limit.
    const atLimit = await send(nested(MAX_JSON_DEPTH - 1));
    expect(atLimit.statusCode).toBe(202);
    const overLimit = await send(nested(MAX_JSON_DEPTH));
    expect(overLimit.json()).toMatchObject({ statusCode: 400, code: 'HERALD_ERR_JSON_TOO_DEEP' });
  });

  it('does not count brackets inside strings', async () => {
    const res = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers: { authorization: `Bearer ${stack.apiKey}` },
      payload: { to: { userId: 'brackets' }, title: '['.repeat(200), data: { k: '{\\"['.repeat(100) } },
    });
    expect(res.statusCode).toBe(202);
  });

  it('walks any nesting without recursion when it looks for text PostgreSQL cannot store', () => {
    let value: unknown = { k: 'a\u0000' };
    for (let i = 0; i < 100_000; i++) value = [value];
    expect(unstorableText(value)).toBe(`${'[0]'.repeat(100_000)}.k`);
  });

  it('keeps refusing prototype pollution keys', async () => {
    const res = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
      payload: '{"to":{"userId":"p"},"title":"x","data":{"__proto__":{"admin":true}}}',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'HERALD_ERR_FORBIDDEN_KEY' });
  });

  it('accepts an empty JSON body on a route that takes none', async () => {
    const { id } = (
      await stack.app.inject({
        method: 'POST',
        url: '/v1/notifications',
        headers: { authorization: `Bearer ${stack.apiKey}` },
        payload: { to: { userId: 'empty' }, title: 'x', sendAt: new Date(Date.now() + 3_600_000).toISOString() },
      })
    ).json();
    const res = await stack.app.inject({
      method: 'POST',
      url: `/v1/notifications/${id}/cancel`,
      headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('cancelled');
  });
});

describe('cursors and times', () => {
  const admin = (url: string) => stack.app.inject({ url, headers: { cookie: ownerCookie } });
  const uuid = '00000000-0000-4000-8000-000000000000';

  it('refuses an inbox cursor whose time no notification can have, and takes one that can', async () => {
    const inbox = (cursor: object) =>
      stack.app.inject({
        url: `/v1/users/a/inbox?cursor=${Buffer.from(JSON.stringify(cursor)).toString('base64url')}`,
        headers: { authorization: `Bearer ${stack.apiKey}` },
      });
    for (const at of [1e308, -1e20, '1', null]) {
      const res = await inbox({ t: [at, uuid] });
      expect([at, res.statusCode, res.json().code]).toEqual([at, 400, 'HERALD_ERR_CURSOR_INVALID']);
    }
    // Milliseconds with PostgreSQL's microseconds as a fraction: a time a page does write.
    expect((await inbox({ t: [1_767_225_600_000.123, uuid] })).statusCode).toBe(200);
  });

  it.each([
    ['/admin/api/notifications', `9999-99-99T99:99:99.999Z|${uuid}`],
    ['/admin/api/notifications', `2026-02-31T00:00:00.000Z|${uuid}`],
    ['/admin/api/notifications', `0000-01-01T00:00:00.000Z|${uuid}`],
    ['/admin/api/notifications', `2026-01-01T00:00:00.000Z|${'-'.repeat(36)}`],
    ['/admin/api/notifications', 'not a cursor'],
    ['/admin/api/audit', `9999-99-99T99:99:99.999Z|${uuid}`],
    ['/admin/api/audit', `2026-01-01T00:00:00.000Z|${'-'.repeat(36)}`],
    ['/admin/api/audit', `2026-01-01T00:00:00Z|${uuid}|extra`],
  ])('refuses the made-up cursor of %s %s with 400 HERALD_ERR_CURSOR_INVALID', async (path, cursor) => {
    const res = await admin(`${path}?cursor=${encodeURIComponent(cursor)}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'HERALD_ERR_CURSOR_INVALID',
      message: expect.stringMatching(/nextCursor/),
    });
  });

  it.each([
    ['/v1/topics/contract-news/subscribers', ''],
    ['/v1/topics/contract-news/subscribers', 'u'.repeat(257)],
    [`/v1/notifications/${uuid}/recipients`, ''],
    [`/v1/notifications/${uuid}/recipients`, 'u'.repeat(257)],
    ['/v1/topics', 'no spaces'],
  ])(
    'refuses a cursor of %s that cannot be a user id or topic name (%s) with 400 HERALD_ERR_CURSOR_INVALID',
    async (path, cursor) => {
      const res = await stack.app.inject({
        url: `${path}?cursor=${encodeURIComponent(cursor)}`,
        headers: { authorization: `Bearer ${stack.apiKey}` },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        code: 'HERALD_ERR_CURSOR_INVALID',
        message: expect.stringMatching(/nextCursor/),
      });
    },
  );

  it.each([
    ['/admin/api/subscribers', 'limit=1e400'],
    ['/admin/api/audit', 'limit=Infinity'],
    ['/admin/api/notifications', 'limit=-Infinity'],
  ])('refuses %s?%s (which Ajv turns into an infinite number) with 400', async (path, query) => {
    const res = await admin(`${path}?${query}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'HERALD_ERR_VALIDATION',
      message: 'querystring.limit must be a finite number.',
    });
  });

  it('refuses an infinite inbox cursor or limit from the API too', async () => {
    const res = await stack.app.inject({
      url: '/v1/users/u/inbox?limit=1e400',
      headers: { authorization: `Bearer ${stack.apiKey}` },
    });
    expect(res.json()).toMatchObject({ statusCode: 400, code: 'HERALD_ERR_VALIDATION' });
  });

  it.each([
    ['a leap second', '2026-06-30T23:59:60Z'],
    ['the year 0', '0000-01-01T00:00:00Z'],
  ])('refuses a log search from %s with 400', async (_label, from) => {
    const res = await admin(`/admin/api/notifications?from=${encodeURIComponent(from)}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'HERALD_ERR_VALIDATION',
      message: expect.stringMatching(/querystring\.from/),
    });
  });

  it('pages the notifications log and the audit log with the cursors they return', async () => {
    const ids: string[] = [];
    for (const title of ['page-1', 'page-2', 'page-3']) {
      const res = await stack.app.inject({
        method: 'POST',
        url: '/admin/api/notifications',
        headers: { cookie: ownerCookie },
        payload: { appId: stack.appId, to: { userId: 'pager' }, title },
      });
      ids.push(res.json().id);
    }
    const pages = async (query: string) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = (
          await admin(
            `/admin/api/notifications?${query}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
          )
        ).json() as { items: Array<{ id: string }>; nextCursor: string | null };
        seen.push(...page.items.map((i) => i.id));
        cursor = page.nextCursor;
      } while (cursor);
      return seen;
    };
    expect(await pages('recipient=pager')).toEqual([...ids].reverse());
    // No worker runs here: each waits for its job's emit, and the queued filter pages through them too.
    expect(await pages('recipient=pager&status=queued')).toEqual([...ids].reverse());

    const first = (await admin('/admin/api/audit?action=notification.send&limit=2')).json();
    expect(first.items).toHaveLength(2);
    const second = (await admin(`/admin/api/audit?action=notification.send&limit=2&cursor=${first.nextCursor}`)).json();
    expect(second.items.map((i: { targetId: string }) => i.targetId)).toEqual([ids[0]]);
  });
});

describe('path parameters and methods', () => {
  const key = () => ({ authorization: `Bearer ${stack.apiKey}` });

  it.each([101, 1_000, 10_000])(
    'checks the API key before a %i-character path parameter, then refuses it with 400 in Herald format',
    async (length) => {
      const long = 'a'.repeat(length);
      const anonymous = await stack.app.inject({ url: `/v1/notifications/${long}` });
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.json()).toMatchObject({ code: 'HERALD_ERR_API_KEY_MISSING' });
      const res = await stack.app.inject({ url: `/v1/notifications/${long}`, headers: key() });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        statusCode: 400,
        code: 'HERALD_ERR_VALIDATION',
        message: 'params.id must be at most 64 characters long.',
      });
      const user = await stack.app.inject({ url: `/v1/users/${'u'.repeat(length + 256)}/inbox`, headers: key() });
      expect(user.json()).toMatchObject({ statusCode: 400, code: 'HERALD_ERR_VALIDATION' });
      const admin = await stack.app.inject({ url: `/admin/api/notifications/${long}` });
      expect(admin.json()).toMatchObject({ statusCode: 401, code: 'HERALD_ERR_SIGN_IN_REQUIRED' });
    },
  );

  it.each([
    ['/v1/topics?limit=0', 'querystring.limit must be at least 1.'],
    ['/v1/topics?limit=1001', 'querystring.limit must be at most 1000.'],
    ['/v1/topics?limit=ten', 'querystring.limit must be a whole number.'],
    ['/v1/topics?prefix=', 'querystring.prefix must not be empty.'],
  ])('says in a sentence what %s should have been', async (url, message) => {
    const res = await stack.app.inject({ url, headers: key() });
    expect([res.statusCode, res.json().message]).toEqual([400, message]);
  });

  it('refuses a path that is not a valid URL with 400 HERALD_ERR_BAD_URL', async () => {
    const res = await stack.app.inject({ url: '/v1/notifications/%zz', headers: key() });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'HERALD_ERR_BAD_URL', message: expect.stringMatching(/not a valid URL/) });
  });

  it('answers a request line too large for Node with 431 in Herald format', async () => {
    const res = await fetch(`${stack.baseUrl}/v1/notifications/${'a'.repeat(20_000)}`, { headers: key() });
    expect(res.status).toBe(431);
    expect(await res.json()).toMatchObject({ statusCode: 431, code: 'HERALD_ERR_HEADERS_TOO_LARGE' });
  });

  it('answers bytes that are not HTTP with 400 in Herald format, and closes the connection', async () => {
    const { port } = new URL(stack.baseUrl);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('HELLO THERE\r\n\r\n'));
      let received = '';
      socket.on('data', (d) => {
        received += d;
      });
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toMatchObject({
      statusCode: 400,
      code: 'HERALD_ERR_BAD_REQUEST',
    });
  });

  it.each([
    ['PUT', '/v1/notifications', 'POST'],
    ['GET', '/v1/tokens', 'POST'],
    ['DELETE', `/v1/notifications/${randomUUID()}`, 'GET, HEAD'],
    ['GET', `/v1/notifications/${randomUUID()}/cancel`, 'POST'],
    ['PATCH', '/admin/api/session', 'GET, HEAD, POST, DELETE'],
    ['POST', '/healthz', 'GET, HEAD'],
  ])('answers %s %s with 405 and Allow: %s', async (method, url, allow) => {
    const res = await stack.app.inject({ method: method as 'GET', url, headers: key() });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe(allow);
    expect(res.json()).toMatchObject({
      statusCode: 405,
      code: 'HERALD_ERR_METHOD_NOT_ALLOWED',
      error: 'Method Not Allowed',
      message: expect.stringContaining(allow),
    });
  });

  it('answers a file the dashboard does not have with 404, and a path out of its folder with 403 and a sentence', async () => {
    for (const url of ['/dashboard/.env', '/dashboard/no-such-file.js']) {
      const res = await stack.app.inject({ method: 'GET', url });
      expect([url, res.statusCode, res.json().code]).toEqual([url, 404, 'HERALD_ERR_ROUTE_NOT_FOUND']);
    }
    for (const url of ['/dashboard/..%2f..%2fpackage.json', '/dashboard/%2e%2e/%2e%2e/package.json']) {
      const res = await stack.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, url).toBeLessThan(500);
      expect(res.json().code, url).toMatch(/^HERALD_ERR_/);
      expect(res.json().message, url).toMatch(/\.$/);
      expect(res.json().message, url).not.toBe('Forbidden');
      expect(res.body, url).not.toContain('"name": "@herald');
    }
  });

  it('answers only loopback names while listening on loopback (DNS rebinding), with a code and a sentence', async () => {
    const evil = await stack.app.inject({ method: 'GET', url: '/healthz', headers: { host: 'rebind.example:3000' } });
    expect(evil.statusCode).toBe(403);
    expect(evil.json()).toMatchObject({
      code: 'HERALD_ERR_HOST_FORBIDDEN',
      message: expect.stringContaining('"rebind.example"'),
    });
    for (const host of ['localhost:3000', '127.0.0.1:3000', '[::1]:3000', 'herald.localhost', '127.0.0.2']) {
      const res = await stack.app.inject({ method: 'GET', url: '/healthz', headers: { host } });
      expect([host, res.statusCode]).toEqual([host, 200]);
    }
  });

  it('still answers a path nothing serves with 404', async () => {
    const res = await stack.app.inject({ method: 'PUT', url: '/v1/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'HERALD_ERR_ROUTE_NOT_FOUND' });
  });
});

describe('the OpenAPI document', () => {
  interface Doc {
    paths: Record<
      string,
      Record<
        string,
        {
          security?: unknown[];
          responses: Record<string, unknown>;
          requestBody?: { content: Record<string, { example?: unknown; schema: Record<string, unknown> }> };
        }
      >
    >;
  }
  const doc = async () => (await stack.app.inject({ url: '/docs/json' })).json() as Doc;

  it('says `to` names exactly one target, and the server refuses `to: {}` with the code it documents', async () => {
    const body = (await doc()).paths['/v1/notifications']?.post?.requestBody?.content['application/json']?.schema as {
      properties: { to: Record<string, unknown> };
    };
    expect(body.properties.to).toMatchObject({ minProperties: 1, maxProperties: 1, additionalProperties: false });
    expect(body.properties.to['x-herald-error']).toMatchObject({
      minProperties: { code: 'HERALD_ERR_TARGET_INVALID' },
    });
    const res = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers: { authorization: `Bearer ${stack.apiKey}` },
      payload: { to: {}, title: 'x' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'HERALD_ERR_TARGET_INVALID',
      message:
        'body.to must name a target: { userId }, { userIds: [...] }, { topic }, { topics: [...] } or { broadcast: true }.',
    });
  });

  it('shows example bodies that succeed when sent as shown ("Try it out")', async () => {
    const examples = Object.entries((await doc()).paths).flatMap(([path, ops]) =>
      Object.entries(ops).flatMap(([method, op]) => {
        const example = op.requestBody?.content['application/json']?.example;
        return example === undefined ? [] : [{ method: method.toUpperCase(), path, op, example }];
      }),
    );
    // The send the README and the /docs page lead with is among them.
    expect(examples.map((e) => `${e.method} ${e.path}`)).toEqual(
      expect.arrayContaining(['POST /v1/notifications', 'POST /v1/notifications/batch', 'POST /v1/tokens']),
    );
    for (const { method, path, op, example } of examples) {
      const security = Object.keys((op.security?.[0] as object | undefined) ?? {})[0];
      const res = await stack.app.inject({
        method: method as 'POST',
        url: path.replace('{appId}', stack.appId).replace('{userId}', 'alice'),
        headers: security === 'apiKey' ? { authorization: `Bearer ${stack.apiKey}` } : { cookie: ownerCookie },
        payload: example as object,
      });
      expect(res.statusCode, `${method} ${path}: ${res.body}`).toBeGreaterThanOrEqual(200);
      expect(res.statusCode, `${method} ${path}: ${res.body}`).toBeLessThan(300);
    }
  });

  it('declares 401 wherever credentials are needed, and 400, 413 and 415 wherever a body is read', async () => {
    let checked = 0;
    for (const [path, ops] of Object.entries((await doc()).paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const label = `${method.toUpperCase()} ${path}`;
        const statuses = Object.keys(op.responses);
        if (op.security) expect(statuses, label).toContain('401');
        if (['post', 'put', 'patch', 'delete'].includes(method)) {
          expect(statuses, label).toEqual(expect.arrayContaining(['400', '413', '415']));
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });
});
