import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { urlProblem } from '../src/platform/lib/urls.js';
import { createTestDatabase, startStack, type TestDatabase, type TestStack } from './helpers.js';

/** "Paths" that a browser resolves to another host, and other tricks: each must be refused. */
const NASTY = [
  '//evil.example/x',
  '/\\evil.example/x',
  '/\t/evil.example/x',
  '/\n/evil.example',
  '/\r//evil.example',
  ' //evil.example',
  '/\u200b/evil.example',
  '\\\\evil.example',
  'https:evil.example',
  'https:/evil.example',
  'https:\\\\evil.example',
  'http://evil.example\\@shop.example',
  'https://shop.example@evil.example/',
  'https://user:pass@shop.example/',
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'https://shop.example/a b',
];

describe('urlProblem', () => {
  it.each([
    'https://shop.example/orders/1?x=1#top',
    'http://127.0.0.1:3000/',
    'HTTPS://SHOP.EXAMPLE/',
    '/orders/1',
    '/',
    '/?tab=inbox',
    '/#inbox',
    '/%09/stays-here',
    'https://例え.jp/パス',
  ])('accepts %j', (value) => {
    expect(urlProblem('url', value)).toBeNull();
  });

  it.each(NASTY)('refuses %j with a sentence', (value) => {
    expect(urlProblem('url', value)).toMatch(
      /^"url" must be an absolute http\(s\) URL or a path starting with a single "\/"/,
    );
  });

  it('holds click URLs, and only them, to the allowed origins when the app asks', () => {
    const policy = { clickOrigins: ['https://shop.example'] };
    expect(urlProblem('url', 'https://shop.example/orders/1', policy)).toBeNull();
    expect(urlProblem('url', '/orders/1', policy)).toBeNull();
    expect(urlProblem('url', 'https://evil.example/', policy)).toMatch(
      /allowed origins \(https:\/\/shop\.example\); https:\/\/evil\.example is not one of them/,
    );
    expect(urlProblem('url', 'https://shop.example.evil.example/', policy)).not.toBeNull();
    expect(urlProblem('icon', 'https://cdn.example/icon.png', policy)).toBeNull();
    expect(urlProblem('url', 'https://shop.example/', { clickOrigins: [] })).toMatch(/\(none\)/);
  });
});

describe('notification URLs through the API', () => {
  let testDb: TestDatabase;
  let stack: TestStack;
  let cookie = '';

  beforeAll(async () => {
    testDb = await createTestDatabase('postgres');
    stack = await startStack(testDb, { worker: false });
    cookie = await stack.adminCookie('admin', 'ops@example.com');
  });
  afterAll(async () => {
    await stack?.close();
    await testDb?.cleanup();
  });

  const send = (fields: Record<string, string>) =>
    stack.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers: { authorization: `Bearer ${stack.apiKey}` },
      payload: { to: { userId: 'u' }, title: 't', ...fields },
    });

  it('refuses every open-redirect trick in url, icon and image with 400 and a code, storing nothing', async () => {
    const before = await stack.db.prisma.notification.count();
    for (const field of ['url', 'icon', 'image']) {
      for (const value of NASTY) {
        const res = await send({ [field]: value });
        expect(res.statusCode, `${field} ${JSON.stringify(value)}`).toBe(400);
        const { code } = res.json();
        // Some fail the schema's pattern already, the rest the parser's check: the same code.
        expect(code, `${field} ${JSON.stringify(value)}`).toBe('HERALD_ERR_URL_INVALID');
      }
    }
    const trick = await send({ url: '/\t/evil.example' });
    expect(trick.json()).toMatchObject({
      code: 'HERALD_ERR_URL_INVALID',
      message: expect.stringMatching(/^"url" must be .* without spaces or control characters/),
    });
    expect((await send({ url: '//evil.example' })).json().message).toMatch(/would lead to another host/);
    // A scheme other than http(s): one whole sentence, the code the README names.
    expect((await send({ icon: 'javascript:alert(1)' })).json()).toMatchObject({
      code: 'HERALD_ERR_URL_INVALID',
      message: 'body.icon is not an absolute http(s) URL nor a path on the page’s own origin (/orders/1).',
    });
    expect(await stack.db.prisma.notification.count()).toBe(before);
    expect((await send({ url: '/orders/1', icon: 'https://cdn.example/i.png' })).statusCode).toBe(202);
  });

  it('answers per item in a batch', async () => {
    const res = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications/batch',
      headers: { authorization: `Bearer ${stack.apiKey}` },
      payload: {
        notifications: [
          { to: { userId: 'u' }, title: 'ok', url: '/fine' },
          { to: { userId: 'u' }, title: 'bad', url: '/\\evil.example' },
        ],
      },
    });
    expect(res.statusCode).toBe(202);
    const { results } = res.json();
    expect(results[0]).toMatchObject({ status: 'queued' });
    expect(results[1]).toMatchObject({ error: { statusCode: 400, code: 'HERALD_ERR_URL_INVALID' } });
  });

  it('holds click URLs to the allowed origins of an app that restricts them, from the API and the composer', async () => {
    const patched = await stack.app.inject({
      method: 'PATCH',
      url: `/admin/api/apps/${stack.appId}`,
      headers: { cookie },
      payload: { restrictUrls: true, allowedOrigins: ['https://shop.example.com'] },
    });
    expect(patched.json()).toMatchObject({ restrictUrls: true, allowedOrigins: ['https://shop.example.com'] });
    expect((await send({ url: 'https://shop.example.com/orders/1' })).statusCode).toBe(202);
    expect((await send({ url: '/orders/1', image: 'https://cdn.example/i.png' })).statusCode).toBe(202);
    const foreign = await send({ url: 'https://evil.example.com/' });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json()).toMatchObject({
      code: 'HERALD_ERR_URL_INVALID',
      message: expect.stringMatching(/allowed origins \(https:\/\/shop\.example\.com\)/),
    });
    const composer = await stack.app.inject({
      method: 'POST',
      url: '/admin/api/notifications',
      headers: { cookie },
      payload: { appId: stack.appId, to: { userId: 'u' }, title: 't', url: 'https://evil.example.com/' },
    });
    expect(composer.json()).toMatchObject({ code: 'HERALD_ERR_URL_INVALID' });

    await stack.app.inject({
      method: 'PATCH',
      url: `/admin/api/apps/${stack.appId}`,
      headers: { cookie },
      payload: { restrictUrls: false },
    });
    expect((await send({ url: 'https://evil.example.com/' })).statusCode).toBe(202);
  });
});
