/**
 * Credentials and sessions mean what they say on every node: two API processes on one PostgreSQL
 * and Redis (the sharded adapter between them). A JWT secret rotated or revoked through one node
 * closes the user sockets opened with it on the other; signing out or removing an admin through
 * one node closes that admin's live dashboard channel on the other. Each within seconds, not at
 * the token's expiry or at the half-minute session check.
 */
import { execFileSync } from 'node:child_process';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createSchema,
  dropQueuePrefix,
  type HeraldProcess,
  MAIN,
  startHerald,
  tempDir,
  uid,
} from './support/herald.js';

const API_KEY = `hk_${uid()}${uid()}${uid()}`;
const OWNER = { email: 'owner@example.com', password: 'owner-password-1' };
const queuePrefix = `{herald-sec-${uid()}}`;
const data = tempDir();
let schema: Awaited<ReturnType<typeof createSchema>>;
let nodeA: HeraldProcess;
let nodeB: HeraldProcess;
const sockets: Socket[] = [];
const APP = `sec-${uid()}`;
let appKey = '';

/** Socket.IO's cross-node messages are fast; this bound proves they, not a timer, did the work. */
const WITHIN_MS = 5000;

const env = () => ({
  DATABASE_URL: schema.url,
  HERALD_API_KEY: API_KEY,
  HERALD_ADMIN_EMAIL: OWNER.email,
  HERALD_ADMIN_PASSWORD: OWNER.password,
  HERALD_QUEUE_PREFIX: queuePrefix,
  HERALD_DATA_DIR: data.path,
});

beforeAll(async () => {
  schema = await createSchema();
  execFileSync(process.execPath, [MAIN, 'migrate'], { env: { ...process.env, ...env(), LOG_LEVEL: 'warn' } });
  nodeA = await startHerald({ env: env(), args: ['--role', 'api'] });
  nodeB = await startHerald({ env: env(), args: ['--role', 'api'] });
  // An app of this run's own: every installation has a "default" app, and until installations
  // sharing a Redis are isolated, another one's messages about its "default" could do our work.
  const created = await adminCall(nodeA, await signIn(nodeA, OWNER), 'POST', '/admin/api/apps', {
    id: APP,
    name: 'Sessions test',
  });
  expect(created.status).toBe(201);
  appKey = ((await created.json()) as { apiKey: string }).apiKey;
});

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await nodeA?.stop();
  await nodeB?.stop();
  await schema?.drop();
  await dropQueuePrefix(queuePrefix);
  data.remove();
});

interface Ended {
  code: string;
  message: string;
}

/** A connected socket that records the reason the server gave for ending it. */
async function watched(url: string, options: Parameters<typeof io>[1], endEvent: string) {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, ...options });
  sockets.push(socket);
  let event: Ended | undefined;
  socket.on(endEvent, (e: Ended) => {
    event = e;
  });
  const ended = new Promise<{ event: Ended | undefined; reason: string; at: number }>((done) =>
    socket.once('disconnect', (reason) => done({ event, reason, at: Date.now() })),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return { socket, ended };
}

const userSocket = async (node: HeraldProcess, userId: string) => {
  const { body } = await api<{ token: string }>(node.url, '/v1/tokens', { key: appKey, body: { userId } });
  return watched(node.url, { auth: { token: body.token } }, 'closing');
};

async function signIn(node: HeraldProcess, who: { email: string; password: string }): Promise<string> {
  const res = await fetch(`${node.url}/admin/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(who),
  });
  expect(res.status).toBe(200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
}

const adminCall = (node: HeraldProcess, cookie: string, method: string, path: string, body?: unknown) =>
  fetch(`${node.url}${path}`, {
    method,
    headers: { cookie, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });

const openFor = async (w: { ended: Promise<unknown> }, ms: number) =>
  (await Promise.race([w.ended, new Promise((r) => setTimeout(() => r('open'), ms))])) === 'open';

describe('JWT secrets across nodes', () => {
  it('rotating without grace through one node closes the sockets opened with the old secret on both', async () => {
    const onA = await userSocket(nodeA, 'ann');
    const onB = await userSocket(nodeB, 'bob');
    const cookie = await signIn(nodeA, OWNER);
    const started = Date.now();
    const res = await adminCall(nodeA, cookie, 'POST', `/admin/api/apps/${APP}/rotate-secret?graceSeconds=0`);
    expect(res.status).toBe(200);
    for (const w of [onA, onB]) {
      const { event, reason, at } = await w.ended;
      expect(event?.code).toBe('HERALD_ERR_TOKEN_REVOKED');
      expect(reason).toBe('io server disconnect');
      expect(at - started).toBeLessThan(WITHIN_MS);
    }
    // A fresh token works on either node.
    const again = await userSocket(nodeB, 'bob');
    expect(again.socket.connected).toBe(true);
  });

  it('the end of the grace closes the old secret’s sockets on the other node too', async () => {
    const onB = await userSocket(nodeB, 'cleo');
    const cookie = await signIn(nodeA, OWNER);
    const res = await adminCall(nodeA, cookie, 'POST', `/admin/api/apps/${APP}/rotate-secret?graceSeconds=3`);
    const until = Date.parse(((await res.json()) as { previousValidUntil: string }).previousValidUntil);
    expect(await openFor(onB, 1500)).toBe(true);
    const { event, at } = await onB.ended;
    expect(event?.code).toBe('HERALD_ERR_TOKEN_REVOKED');
    expect(at).toBeGreaterThanOrEqual(until - 100);
    expect(at - until).toBeLessThan(WITHIN_MS);
  });

  it('revoking the previous secret through one node closes its sockets on the other at once', async () => {
    const onB = await userSocket(nodeB, 'dina');
    const cookie = await signIn(nodeA, OWNER);
    await adminCall(nodeA, cookie, 'POST', `/admin/api/apps/${APP}/rotate-secret`);
    expect(await openFor(onB, 1000)).toBe(true);
    const started = Date.now();
    const revoked = await adminCall(nodeA, cookie, 'POST', `/admin/api/apps/${APP}/revoke-previous-secret`);
    expect(revoked.status).toBe(200);
    const { event, at } = await onB.ended;
    expect(event?.code).toBe('HERALD_ERR_TOKEN_REVOKED');
    expect(at - started).toBeLessThan(WITHIN_MS);
  });
});

describe('dashboard sessions across nodes', () => {
  const channel = (node: HeraldProcess, cookie: string) =>
    watched(`${node.url}/admin`, { extraHeaders: { cookie } }, 'session:ended');

  it('signing out through one node closes that session’s live channel on the other', async () => {
    const cookie = await signIn(nodeA, OWNER);
    const onB = await channel(nodeB, cookie);
    const started = Date.now();
    expect((await adminCall(nodeA, cookie, 'DELETE', '/admin/api/session')).status).toBe(200);
    const { event, at } = await onB.ended;
    expect(event).toMatchObject({ code: 'HERALD_ERR_SIGN_IN_REQUIRED', message: expect.stringMatching(/signed out/) });
    expect(at - started).toBeLessThan(WITHIN_MS);
  });

  it('removing an admin through one node closes their live channel on the other', async () => {
    const owner = await signIn(nodeA, OWNER);
    const leaver = { email: `leaver-${uid()}@example.com`, password: 'leaver-password-1' };
    const created = await adminCall(nodeA, owner, 'POST', '/admin/api/admins', { ...leaver, role: 'viewer' });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const onB = await channel(nodeB, await signIn(nodeB, leaver));
    const started = Date.now();
    expect((await adminCall(nodeA, owner, 'DELETE', `/admin/api/admins/${id}`)).status).toBe(200);
    const { event, at } = await onB.ended;
    expect(event?.message).toMatch(/removed/);
    expect(at - started).toBeLessThan(WITHIN_MS);
  });
});
