/**
 * The shipped `sdk.js` (the minified script-tag build, served by Herald) on an integrator's page of
 * another origin, through what browsers meet every day: the server restarting (SIGTERM, and
 * kill -9), handshakes refused for a stale or malformed token (a token endpoint answering with an
 * error page), and for good (an origin the app does not allow). The page must come back by itself,
 * say what happened through `state` and `error` events, and never throw.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSigner } from 'fast-jwt';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, RECORD_NOTIFICATIONS } from './support/browser.js';
import { api, dropQueuePrefix, freePort, type HeraldProcess, startHerald, tempDir, uid } from './support/herald.js';

const API_KEY = `hk_${uid()}${uid()}${uid()}`;
const JWT_SECRET = `secret-${uid()}${uid()}${uid()}${uid()}`;
const ADMIN = { email: 'owner@resilience.test', password: `pw-${uid()}${uid()}` };
const queuePrefix = `{herald-e2e-${uid()}}`;
const data = tempDir();
let port: number;
let herald: HeraldProcess;
let heraldUrl: string;
let site: Server;
let siteUrl: string;
let browser: Browser;
/** What the integrator's token endpoint answers next, per user: `error` pages, `expired` tokens, or good ones. */
const tokenPlan = new Map<string, Array<'error' | 'expired'>>();
const tokenCalls = new Map<string, number>();

function token(userId: string, ttlSeconds: number): string {
  const sign = createSigner({ key: JWT_SECRET, algorithm: 'HS256' });
  return sign({ sub: userId, aud: 'default', exp: Math.floor(Date.now() / 1000) + ttlSeconds });
}

const env = () => ({
  PORT: String(port),
  HERALD_DATA_DIR: data.path,
  HERALD_API_KEY: API_KEY,
  HERALD_JWT_SECRET: JWT_SECRET,
  HERALD_ADMIN_EMAIL: ADMIN.email,
  HERALD_ADMIN_PASSWORD: ADMIN.password,
  HERALD_QUEUE_PREFIX: queuePrefix,
});

/** The integrator's site: a page embedding Herald's sdk.js, and a token endpoint that can misbehave. */
function integratorSite(): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const user = url.searchParams.get('user') ?? 'anon';
    if (url.pathname === '/token') {
      tokenCalls.set(user, (tokenCalls.get(user) ?? 0) + 1);
      const next = tokenPlan.get(user)?.shift();
      if (next === 'error') {
        res.writeHead(502, { 'content-type': 'text/html' }).end('<!doctype html><title>502 Bad Gateway</title>');
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' }).end(token(user, next === 'expired' ? -60 : 600));
      }
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html>
<html lang="en"><head><title>Shop</title></head><body>
<script src="${heraldUrl}/sdk.js"></script>
<script>
  window.received = []; window.errors = []; window.states = [];
  Herald.on('notification', (n, ctx) => window.received.push({ id: n.id, title: n.title, popup: ctx.popup }));
  Herald.on('error', (e) => window.errors.push({ code: e.code, message: e.message }));
  Herald.on('state', (s) => window.states.push(s));
  // As the README tells integrators: the token comes from their backend, read as text.
  Herald.init({ url: ${JSON.stringify(heraldUrl)}, token: () => fetch('/token?user=${user}').then((r) => r.text()) });
</script></body></html>`);
  });
}

type StateEvent = { state: string; code?: number; reason?: string; error?: string; retryInMs?: number };
type W = Window & {
  Herald: { state: string };
  received: Array<{ id: string; title: string; popup: boolean }>;
  errors: Array<{ code: string; message: string }>;
  states: StateEvent[];
};

async function openPage(ctx: BrowserContext, user: string): Promise<{ page: Page; pageErrors: string[] }> {
  const page = await ctx.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    // A failed WebSocket while the server is down is logged by Chromium itself; anything else counts.
    if (m.type() === 'error' && !/WebSocket connection to|ERR_CONNECTION_REFUSED|502/.test(m.text())) {
      pageErrors.push(m.text());
    }
  });
  await page.goto(`${siteUrl}/?user=${user}`);
  return { page, pageErrors };
}

const connected = (page: Page, timeout = 20_000) =>
  page.waitForFunction(() => (window as unknown as W).Herald.state === 'connected', undefined, { timeout });
const states = (page: Page) => page.evaluate(() => (window as unknown as W).states);
const sendTo = (userId: string, title: string) =>
  api<{ id: string }>(heraldUrl, '/v1/notifications', { key: API_KEY, body: { to: { userId }, title } });

async function grantedContext(): Promise<BrowserContext> {
  const ctx = await browser.newContext();
  await ctx.grantPermissions(['notifications'], { origin: siteUrl });
  await ctx.addInitScript(RECORD_NOTIFICATIONS);
  return ctx;
}

beforeAll(async () => {
  port = await freePort();
  heraldUrl = `http://127.0.0.1:${port}`;
  herald = await startHerald({ env: env() });
  site = integratorSite();
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => site?.close(resolve));
  await herald?.stop();
  await dropQueuePrefix(queuePrefix);
  data.remove();
});

describe('the shipped sdk.js through a server restart', () => {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`reconnects by itself after a ${signal} and a start on the same data, and pops up what is sent next`, async () => {
      const user = `restart-${signal.toLowerCase()}`;
      const ctx = await grantedContext();
      const { page, pageErrors } = await openPage(ctx, user);
      await connected(page);
      const before = await sendTo(user, 'Before the restart');
      await page.waitForFunction(() => (window as unknown as W).__shown.length === 1, undefined, { timeout: 15_000 });

      expect(await herald.stop(signal)).not.toBeUndefined();
      await page.waitForFunction(() => (window as unknown as W).Herald.state !== 'connected', undefined, {
        timeout: 15_000,
      });
      herald = await startHerald({ env: env() });
      // The SDK's backoff (1 s doubling, at most 30 s) brings it back; no reload.
      await connected(page, 45_000);

      const after = await sendTo(user, 'After the restart');
      expect(after.status).toBe(202);
      await page.waitForFunction(() => (window as unknown as W).__shown.length === 2, undefined, { timeout: 15_000 });
      expect((await page.evaluate(() => window.__shown)).map((s) => s.title)).toEqual([
        'Before the restart',
        'After the restart',
      ]);
      const received = await page.evaluate(() => (window as unknown as W).received.map((n) => n.id));
      expect(received).toEqual([before.body.id, after.body.id]);

      // connected → disconnected (the transport closed: code 2) → connecting → connected.
      const seen = (await states(page)).map((s) => `${s.state}${s.code === undefined ? '' : `:${s.code}`}`);
      const first = seen.indexOf('connected');
      const down = seen.indexOf('disconnected:2', first);
      expect(down).toBeGreaterThan(first);
      const connecting = seen.findIndex((s, i) => i > down && s.startsWith('connecting'));
      expect(connecting).toBeGreaterThan(down);
      expect(seen.indexOf('connected', connecting)).toBeGreaterThan(connecting);
      // Each of those says why, and when the next attempt comes: the drop, then every attempt
      // that found nobody listening while Herald was down (code 6).
      const events = await states(page);
      expect(events[down]).toMatchObject({
        reason: 'Connection lost (transport close)',
        retryInMs: expect.any(Number),
      });
      const failed = events.filter((s, i) => i > down && s.state === 'disconnected');
      expect(failed.length).toBeGreaterThan(0);
      for (const attempt of failed) {
        expect(attempt).toMatchObject({ code: 6, reason: expect.stringMatching(/^Connection failed \(.+\)$/) });
        expect(attempt.retryInMs).toBeGreaterThan(0);
      }
      expect(pageErrors).toEqual([]);
      await ctx.close();
    });
  }
});

describe('the shipped sdk.js and topic sends', () => {
  it('pops a topic send live, catches up the one sent while the tab was closed, keeps its stream cursor through a restart, and never shows one twice', async () => {
    const user = `topic-${uid()}`;
    const topic = `launches-${uid()}`;
    const joined = await api(heraldUrl, `/v1/topics/${topic}/subscribers`, {
      key: API_KEY,
      method: 'PUT',
      body: { userIds: [user] },
    });
    expect(joined.status).toBe(200);
    const sendTopic = (title: string) =>
      api<{ id: string; recipients: number }>(heraldUrl, '/v1/notifications', {
        key: API_KEY,
        body: { to: { topic }, title },
      });
    const ctx = await grantedContext();
    const shown = (page: Page) => page.evaluate(() => (window as unknown as W).__shown.map((s) => s.title));

    let { page, pageErrors } = await openPage(ctx, user);
    await connected(page);
    expect((await sendTopic('Live launch')).body.recipients).toBe(1);
    await page.waitForFunction(() => (window as unknown as W).__shown.length === 1, undefined, { timeout: 15_000 });
    expect(pageErrors).toEqual([]);
    await page.close();

    // Sent while no tab is open: the next page load catches it up through the topic's stream, and
    // pops it up; the live one (which the closed tab had no time to confirm) is not shown again.
    await sendTopic('Missed launch');
    ({ page, pageErrors } = await openPage(ctx, user));
    await connected(page);
    const received = () => page.evaluate(() => (window as unknown as W).received.map((n) => n.title));
    await page.waitForFunction(() => (window as unknown as W).received.some((n) => n.title === 'Missed launch'));
    // The popup follows the inbox by the claim that keeps it to one per browser (a storage round trip).
    await page.waitForFunction(() => (window as unknown as W).__shown.some((s) => s.title === 'Missed launch'));
    expect(await shown(page)).toEqual(['Missed launch']);
    const cursors = await page.evaluate(() =>
      Object.entries(localStorage).filter(([k]) => k.startsWith('herald:cursor:') && k.endsWith(':streams')),
    );
    expect(cursors).toHaveLength(1);
    expect(Object.keys(JSON.parse(cursors[0]?.[1] ?? '{}'))).toContain(topic);

    // A restart: the tab reconnects with its cursors, gets nothing again, and the next send live.
    await herald.stop('SIGTERM');
    herald = await startHerald({ env: env() });
    await connected(page, 45_000);
    const before = (await received()).length;
    await sendTopic('After the restart');
    await page.waitForFunction(() => (window as unknown as W).received.some((n) => n.title === 'After the restart'));
    expect((await received()).slice(before)).toEqual(['After the restart']);
    expect(await shown(page)).toEqual(['Missed launch', 'After the restart']);
    // The SDK confirms live ones a few seconds later (its cursor moves then); a reload after that
    // gets nothing again.
    await new Promise((r) => setTimeout(r, 3500));
    await page.reload();
    await connected(page);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await received()).toEqual([]);
    expect(pageErrors).toEqual([]);
    await ctx.close();
  });
});

describe('the shipped sdk.js when the server refuses the handshake', () => {
  it('says why when the token endpoint answers with an error page, retries with backoff, and connects once it recovers', async () => {
    const user = 'error-page';
    tokenPlan.set(user, ['error', 'error']);
    const ctx = await grantedContext();
    const { page, pageErrors } = await openPage(ctx, user);
    await connected(page, 30_000);
    expect(tokenCalls.get(user)).toBe(3);
    const errors = await page.evaluate(() => (window as unknown as W).errors);
    expect(errors.filter((e) => e.code === 'HERALD_ERR_TOKEN_SOURCE')).toHaveLength(2);
    expect(errors[0]?.message).toMatch(/not a JWT: "<!doctype html><title>502 Bad Gateway/);
    const refused = (await states(page)).filter((s) => s.state === 'disconnected');
    expect(refused[0]).toMatchObject({ code: 3, error: 'HERALD_ERR_TOKEN_SOURCE' });
    expect(refused[0]?.retryInMs).toBeGreaterThanOrEqual(500);
    expect(refused[1]?.retryInMs).toBeGreaterThanOrEqual(1000);

    const sent = await sendTo(user, 'Finally');
    await page.waitForFunction((id) => (window as unknown as W).received.some((n) => n.id === id), sent.body.id);
    expect(pageErrors).toEqual([]);
    await ctx.close();
  });

  it("surfaces the server's code and sentence for an expired token, and comes back with a fresh one", async () => {
    const user = 'expired';
    tokenPlan.set(user, ['expired']);
    const ctx = await grantedContext();
    const { page, pageErrors } = await openPage(ctx, user);
    await connected(page, 30_000);
    const errors = await page.evaluate(() => (window as unknown as W).errors);
    expect(errors[0]).toEqual({
      code: 'HERALD_ERR_TOKEN_EXPIRED',
      message: 'Token expired: fetch a new one from your backend (POST /v1/tokens).',
    });
    const seen = await states(page);
    expect(seen.find((s) => s.state === 'disconnected')).toMatchObject({
      code: 3,
      error: 'HERALD_ERR_TOKEN_EXPIRED',
      reason: 'Token expired: fetch a new one from your backend (POST /v1/tokens).',
    });
    expect(tokenCalls.get(user)).toBe(2);
    expect(pageErrors).toEqual([]);
    await ctx.close();
  });

  it('stops for good, and says so, when the page origin is not allowed', async () => {
    const signIn = await fetch(`${heraldUrl}/admin/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: heraldUrl },
      body: JSON.stringify(ADMIN),
    });
    expect(signIn.status).toBe(200);
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const allow = async (origins: string[]) => {
      const res = await fetch(`${heraldUrl}/admin/api/apps/default`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', cookie, origin: heraldUrl },
        body: JSON.stringify({ allowedOrigins: origins }),
      });
      expect(res.status).toBe(200);
    };
    await allow(['https://only-this-shop.example']);
    try {
      const user = 'forbidden';
      const ctx = await grantedContext();
      const { page, pageErrors } = await openPage(ctx, user);
      await page.waitForFunction(
        () => (window as unknown as W).states.some((s) => s.state === 'disconnected' && s.code === 5),
        undefined,
        { timeout: 15_000 },
      );
      const stopped = (await states(page)).find((s) => s.code === 5);
      expect(stopped).toMatchObject({ state: 'disconnected', error: 'HERALD_ERR_ORIGIN_FORBIDDEN' });
      expect(stopped?.reason).toMatch(/may not connect to app "default".*\(not retrying\)/);
      const calls = tokenCalls.get(user);
      await new Promise((r) => setTimeout(r, 4000));
      expect(tokenCalls.get(user)).toBe(calls);
      expect(await page.evaluate(() => (window as unknown as W).Herald.state)).toBe('disconnected');
      expect(pageErrors).toEqual([]);
      await ctx.close();
    } finally {
      await allow([]);
    }
  });
});
