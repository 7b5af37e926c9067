import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startStack, type TestDatabase, type TestStack } from './helpers.js';

let testDb: TestDatabase;
let stack: TestStack;
beforeAll(async () => {
  testDb = await createTestDatabase('postgres');
  stack = await startStack(testDb);
});
afterAll(async () => {
  await stack?.close().catch(() => {});
  await testDb?.cleanup();
});

describe('a node that is shutting down', () => {
  it('refuses a request that arrives meanwhile with 503 HERALD_ERR_SHUTTING_DOWN and a sentence, storing nothing', async () => {
    const { port } = new URL(stack.baseUrl);
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    // A send whose body is still coming holds the server open while it closes.
    const body = JSON.stringify({ to: { userId: 'closing' }, title: 'before' });
    const head = (length: number) =>
      'POST /v1/notifications HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
      `Authorization: Bearer ${stack.apiKey}\r\nContent-Length: ${length}\r\n\r\n`;
    socket.write(head(Buffer.byteLength(body)) + body.slice(0, 10));
    await new Promise((r) => setTimeout(r, 100));
    const closed = stack.app.close();
    await new Promise((r) => setTimeout(r, 100));
    // The rest of it, and a second send behind it on the same connection, now that closing began.
    const second = JSON.stringify({ to: { userId: 'closing' }, title: 'after' });
    socket.write(body.slice(10) + head(Buffer.byteLength(second)) + second);
    await closed;
    await new Promise<void>((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())));
    const responses = answer.split(/(?=HTTP\/1\.1 )/);
    expect(responses.map((r) => r.slice(0, 12))).toEqual(['HTTP/1.1 202', 'HTTP/1.1 503']);
    const refused = responses[1] as string;
    expect(refused).toMatch(/\r\nretry-after: 1\r\n/i);
    expect(refused).toMatch(/\r\nconnection: close\r\n/i);
    expect(JSON.parse(refused.slice(refused.indexOf('\r\n\r\n') + 4))).toMatchObject({
      statusCode: 503,
      code: 'HERALD_ERR_SHUTTING_DOWN',
      message: expect.stringMatching(/shutting down .* nothing was accepted/),
    });
    const titles = (await stack.db.prisma.notification.findMany({ where: {}, select: { title: true } })).map(
      (n) => n.title,
    );
    expect(titles).toEqual(['before']);
  });

  it('refuses them from the first signal on, before the worker has stopped, /readyz included', async () => {
    const other = await startStack(testDb);
    try {
      expect((await other.app.inject({ url: '/readyz' })).statusCode).toBe(200);
      other.app.stopAccepting();
      for (const url of ['/readyz', '/v1/notifications']) {
        const res = await other.app.inject({ url, method: url === '/readyz' ? 'GET' : 'POST' });
        expect(res.statusCode, url).toBe(503);
        expect(res.json()).toMatchObject({ code: 'HERALD_ERR_SHUTTING_DOWN' });
      }
    } finally {
      await other.close().catch(() => {});
    }
  });
});
