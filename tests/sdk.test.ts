/**
 * The browser SDK in real Chromium, embedded on an integrator's page of another origin: one popup
 * per notification across tabs, read state across tabs, denied permission, WebSocket blocked,
 * in-band token refresh, the soft prompt, the lazily loaded inbox widget and topics chosen on the page.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSigner } from 'fast-jwt';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, RECORD_NOTIFICATIONS } from './support/browser.js';
import { api, dropQueuePrefix, eventually, type HeraldProcess, startHerald, tempDir, uid } from './support/herald.js';

const API_KEY = `hk_${uid()}${uid()}${uid()}`;
const JWT_SECRET = `secret-${uid()}${uid()}${uid()}${uid()}`;
const queuePrefix = `{herald-e2e-${uid()}}`;
const data = tempDir();
let herald: HeraldProcess;
let site: Server;
let siteUrl: string;
let browser: Browser;

/** The integrator's backend signs user tokens itself, with any lifetime (the SDK refreshes them). */
function token(userId: string, ttlSeconds: number, topics?: string[]): string {
  const sign = createSigner({ key: JWT_SECRET, algorithm: 'HS256' });
  const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
  return sign({ sub: userId, aud: 'default', exp, ...(topics ? { topics } : {}) });
}

function integratorSite(heraldUrl: string): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const user = url.searchParams.get('user') ?? 'anon';
    if (url.pathname === '/token') {
      const ttl = Number(url.searchParams.get('ttl') ?? 600);
      const topics = url.searchParams.get('topics')?.split(',').filter(Boolean);
      res.writeHead(200, { 'content-type': 'text/plain' }).end(token(user, ttl, topics));
      return;
    }
    const options = {
      url: heraldUrl,
      transports: url.searchParams.get('transports')?.split(',') ?? undefined,
    };
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html>
<html lang="en"><head><title>Shop</title></head><body>
<header>My shop ${url.searchParams.has('inbox') ? '<herald-inbox></herald-inbox>' : ''}</header>
<script src="${heraldUrl}/sdk.js"></script>
<script>
  window.received = []; window.errors = []; window.refreshes = 0; window.connects = 0;
  Herald.on('notification', (n, ctx) => window.received.push({ id: n.id, title: n.title, popup: ctx.popup }));
  Herald.on('error', (e) => window.errors.push(e.code));
  Herald.on('refreshed', () => window.refreshes++);
  Herald.on('state', (s) => { if (s.state === 'connected') window.connects++; });
  Herald.init({ ...${JSON.stringify(options)}, token: () => fetch('/token?user=${user}&ttl=${url.searchParams.get('ttl') ?? 600}&topics=${encodeURIComponent(url.searchParams.get('topics') ?? '')}').then((r) => r.text()) });
</script></body></html>`);
  });
}

beforeAll(async () => {
  herald = await startHerald({
    env: {
      HERALD_DATA_DIR: data.path,
      HERALD_API_KEY: API_KEY,
      HERALD_JWT_SECRET: JWT_SECRET,
      HERALD_QUEUE_PREFIX: queuePrefix,
    },
  });
  site = integratorSite(herald.url);
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

type W = Window & {
  Herald: { state: string; client: { transport: string; cursor: number | null } };
  received: Array<{ id: string; popup: boolean }>;
  errors: string[];
  refreshes: number;
  connects: number;
};

async function context(permission: 'granted' | 'denied' | 'default'): Promise<BrowserContext> {
  const ctx = await browser.newContext();
  if (permission === 'granted') await ctx.grantPermissions(['notifications'], { origin: siteUrl });
  if (permission === 'denied') {
    // Playwright can only grant; deny through Chromium's own permission API for this context.
    const probe = await ctx.newPage();
    const session = await ctx.newCDPSession(probe);
    const { targetInfo } = await session.send('Target.getTargetInfo');
    const cdp = await browser.newBrowserCDPSession();
    await cdp.send('Browser.setPermission', {
      permission: { name: 'notifications' },
      setting: 'denied',
      origin: siteUrl,
      browserContextId: targetInfo.browserContextId,
    });
    await probe.close();
  }
  await ctx.addInitScript(RECORD_NOTIFICATIONS);
  return ctx;
}

async function open(ctx: BrowserContext, query: string): Promise<{ page: Page; consoleErrors: string[] }> {
  const page = await ctx.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto(`${siteUrl}/?${query}`);
  await page.waitForFunction(() => (window as unknown as W).Herald.state === 'connected');
  return { page, consoleErrors };
}

const sendTo = (userId: string, title: string, extra: object = {}) =>
  api<{ id: string }>(herald.url, '/v1/notifications', { key: API_KEY, body: { to: { userId }, title, ...extra } });

describe('browser SDK', () => {
  it('shows exactly one popup for a notification with two tabs open, and read state follows across tabs', async () => {
    const ctx = await context('granted');
    const a = await open(ctx, 'user=tina&inbox');
    const b = await open(ctx, 'user=tina&inbox');
    const sent = await sendTo('tina', 'Two tabs, one popup');
    for (const { page } of [a, b]) {
      await page.waitForFunction((id) => (window as unknown as W).received.some((n) => n.id === id), sent.body.id);
    }
    await new Promise((r) => setTimeout(r, 500));
    const shown = [...(await a.page.evaluate(() => window.__shown)), ...(await b.page.evaluate(() => window.__shown))];
    expect(shown.map((s) => s.title)).toEqual(['Two tabs, one popup']);

    // The inbox widget was loaded lazily and shows the unread badge in both tabs.
    const badge = (page: Page) =>
      page.locator('herald-inbox').evaluate((el) => {
        const b = el.shadowRoot?.querySelector('[part~=badge]') as HTMLElement | null;
        return b && !b.hidden ? (b.textContent ?? '') : '';
      });
    await expect.poll(() => badge(a.page)).toBe('1');
    await expect.poll(() => badge(b.page)).toBe('1');

    // Reading it in tab A (through the widget) clears the badge in tab B.
    await a.page.locator('herald-inbox').locator('[part~=bell]').click();
    await a.page.locator('herald-inbox').locator('[part~=item]').first().click();
    await expect.poll(() => badge(b.page)).toBe('');
    // Its popup, whichever tab raised it, closes once it is read.
    const closed = async () => [
      ...(await a.page.evaluate(() => window.__closed)),
      ...(await b.page.evaluate(() => window.__closed)),
    ];
    await expect.poll(closed).toEqual(['Two tabs, one popup']);
    await expect
      .poll(() => b.page.locator('herald-inbox').evaluate((el) => (el as unknown as { unread: number }).unread))
      .toBe(0);
    expect([...a.consoleErrors, ...b.consoleErrors]).toEqual([]);
    await ctx.close();
  });

  it('subscribes on the page to a public topic and to those its token grants, and is refused the others with a code', async () => {
    const user = `topics-${uid()}`;
    const open_ = `open-news-${uid()}`;
    const made = await api(herald.url, `/v1/topics/${open_}`, { method: 'PUT', key: API_KEY, body: { public: true } });
    expect(made.body).toMatchObject({ topic: open_, public: true, subscribers: 0 });
    const ctx = await context('default');
    const { page, consoleErrors } = await open(ctx, `user=${user}&topics=${encodeURIComponent('project:*')}`);
    const result = await page.evaluate(async (publicTopic) => {
      const H = (window as unknown as { Herald: Record<string, (t?: string) => Promise<unknown>> }).Herald;
      await H.subscribe?.('project:42');
      await H.subscribe?.(publicTopic);
      await H.subscribe?.(publicTopic); // twice: no error
      const refused = await H.subscribe?.('team/secret').then(
        () => 'accepted',
        (e: { code?: string }) => e.code,
      );
      const invalid = await H.subscribe?.('has space').then(
        () => 'accepted',
        (e: { code?: string }) => e.code,
      );
      const before = await H.topics?.();
      await H.unsubscribe?.('project:42');
      return { refused, invalid, before, after: await H.topics?.() };
    }, open_);
    expect(result).toEqual({
      refused: 'HERALD_ERR_TOPIC_FORBIDDEN',
      invalid: 'HERALD_ERR_VALIDATION',
      before: [open_, 'project:42'].sort(),
      after: [open_],
    });
    // The backend sees what the page did.
    const seen = await api<{ topics: Array<{ topic: string }> }>(herald.url, `/v1/users/${user}/topics`, {
      key: API_KEY,
    });
    expect(seen.body.topics.map((t) => t.topic)).toEqual([open_]);
    expect(consoleErrors).toEqual([]);
    await ctx.close();
  });

  it('chooses preferences in the inbox widget: the server keeps each change, refuses "off" to a required category with its code, and a send the user turned off never reaches the page', async () => {
    const user = `prefs-${uid()}`;
    const billing = `billing-${uid()}`;
    const offers = `offers-${uid()}`;
    const topic = `launches-${uid()}`;
    const put = (key: string, body: object) =>
      api(herald.url, `/v1/categories/${key}`, { method: 'PUT', key: API_KEY, body });
    expect(
      (await put(billing, { name: 'Billing', description: 'Invoices', defaultMode: 'popup', required: true })).status,
    ).toBe(200);
    expect((await put(offers, { name: 'Offers', defaultMode: 'inbox' })).status).toBe(200);
    const joined = await api(herald.url, `/v1/topics/${topic}/subscribers`, {
      method: 'PUT',
      key: API_KEY,
      body: { userIds: [user] },
    });
    expect(joined.status).toBe(200);
    const ctx = await context('granted');
    const { page, consoleErrors } = await open(ctx, `user=${user}&inbox`);
    const inbox = page.locator('herald-inbox');
    await inbox.locator('[part~=bell]').click();
    await inbox.getByRole('button', { name: 'Preferences' }).click();
    const status = inbox.getByRole('status');

    const required = inbox.getByLabel('Billing');
    await required.waitFor();
    expect(await required.locator('option[value=off]').isDisabled()).toBe(true);
    expect(await inbox.getByLabel('Offers').inputValue()).toBe('inbox'); // the category's default
    await inbox.getByLabel('Offers').selectOption('off');
    await expect.poll(() => status.textContent()).toBe('Saved.');
    await inbox.getByLabel(topic).selectOption('inbox');
    await expect.poll(() => status.textContent()).toBe('Saved.');
    await inbox.getByLabel('Pause popups').check();
    await expect.poll(() => status.textContent()).toBe('Saved.');
    const timeZone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
    const kept = await api(herald.url, `/v1/users/${user}/preferences`, { key: API_KEY });
    expect(kept.body).toEqual({
      categories: { [offers]: 'off' },
      topics: { [topic]: 'inbox' },
      quietHours: { start: '22:00', end: '07:00', timeZone },
    });

    // The same calls from the page: refusals carry the server's codes.
    const refusals = await page.evaluate(
      async ([req, unknown]) => {
        const H = (window as unknown as { Herald: { preferences: { set(p: object): Promise<unknown> } } }).Herald;
        const code = (p: object) =>
          H.preferences.set(p).then(
            () => 'accepted',
            (e: { code?: string }) => e.code,
          );
        return [await code({ categories: { [req]: 'off' } }), await code({ categories: { [unknown]: 'off' } })];
      },
      [billing, `nope-${uid()}`],
    );
    expect(refusals).toEqual(['HERALD_ERR_CATEGORY_REQUIRED', 'HERALD_ERR_CATEGORY_NOT_FOUND']);

    // Turned off: a send in that category never reaches the page; the next one does.
    expect((await sendTo(user, 'An offer', { category: offers })).status).toBe(202);
    const bill = await sendTo(user, 'Your invoice', { category: billing });
    await page.waitForFunction((id) => (window as unknown as W).received.some((n) => n.id === id), bill.body.id);
    expect(await page.evaluate(() => (window as unknown as W).received.map((n) => n.id))).toEqual([bill.body.id]);
    expect(consoleErrors).toEqual([]);
    await ctx.close();
  });

  it('pages the inbox with "Load more", hides it at the end, and keeps the panel on screen with the bell at the left edge', async () => {
    for (let i = 0; i < 25; i++) expect((await sendTo('zoe', `Older ${i}`)).status).toBe(202);
    const ctx = await context('granted');
    const { page, consoleErrors } = await open(ctx, 'user=zoe&inbox');
    const inbox = page.locator('herald-inbox');
    await inbox.locator('[part~=bell]').click();
    await expect.poll(() => inbox.locator('[part~=item]').count(), { timeout: 10_000 }).toBe(20);
    const more = inbox.locator('[part~=more]');
    expect(await more.isVisible()).toBe(true);
    const box = await inbox.locator('[part~=panel]').boundingBox();
    expect(box?.x).toBeGreaterThanOrEqual(0);
    expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(page.viewportSize()?.width ?? 0);
    await more.click();
    await expect.poll(() => inbox.locator('[part~=item]').count()).toBe(25);
    expect(await more.isVisible()).toBe(false);
    // Newest first, each once, whatever the catch-up replayed while the first page loaded.
    expect(await inbox.locator('[part~=title]').allTextContents()).toEqual(
      Array.from({ length: 25 }, (_, i) => `Older ${24 - i}`),
    );
    expect(consoleErrors).toEqual([]);
    await ctx.close();
  });

  it('with permission denied: no popup, no error, and the inbox still receives', async () => {
    const ctx = await context('denied');
    const { page, consoleErrors } = await open(ctx, 'user=uma&inbox');
    expect(await page.evaluate(() => Notification.permission)).toBe('denied');
    const sent = await sendTo('uma', 'Quietly');
    await page.waitForFunction((id) => (window as unknown as W).received.some((n) => n.id === id), sent.body.id);
    expect(await page.evaluate(() => (window as unknown as W).received)).toEqual([
      { id: sent.body.id, title: 'Quietly', popup: false },
    ]);
    expect(await page.evaluate(() => window.__created.length)).toBe(0);
    await page.locator('herald-inbox').locator('[part~=bell]').click();
    await expect
      .poll(() => page.locator('herald-inbox').locator('[part~=title]').first().textContent())
      .toBe('Quietly');
    expect(await page.evaluate(() => (window as unknown as W).errors)).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await ctx.close();
  });

  it('falls back to long-polling when WebSocket is blocked, and notifications still arrive', async () => {
    // A proxy in front of Herald that forwards HTTP but refuses WebSocket upgrades.
    const target = new URL(herald.url);
    const proxy = createServer((req, res) => {
      const upstream = request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    let refused = 0;
    proxy.on('upgrade', (_req, socket) => {
      refused++;
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxied = integratorSite(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
    await new Promise<void>((resolve) => proxied.listen(0, '127.0.0.1', resolve));
    const proxiedSite = `http://127.0.0.1:${(proxied.address() as AddressInfo).port}`;
    const ctx = await browser.newContext();
    await ctx.grantPermissions(['notifications'], { origin: proxiedSite });
    await ctx.addInitScript(RECORD_NOTIFICATIONS);
    const page = await ctx.newPage();
    await page.goto(`${proxiedSite}/?user=vera`);
    await page.waitForFunction(() => (window as unknown as W).Herald.state === 'connected', undefined, {
      timeout: 20_000,
    });
    expect(refused).toBeGreaterThan(0);
    expect(await page.evaluate(() => (window as unknown as W).Herald.client.transport)).toBe('polling');
    const sent = await sendTo('vera', 'Through the proxy');
    await page.waitForFunction(() => window.__shown.length > 0, undefined, { timeout: 15_000 });
    expect(await page.evaluate(() => window.__shown[0]?.title)).toBe('Through the proxy');
    expect(await page.evaluate(() => (window as unknown as W).received[0]?.id)).toBe(sent.body.id);
    await ctx.close();
    await new Promise((resolve) => proxied.close(resolve));
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
  });

  it('refreshes a short-lived token in-band: the same socket keeps delivering past the first token’s expiry', async () => {
    const ctx = await context('granted');
    const { page } = await open(ctx, 'user=wes&ttl=4');
    await page.waitForFunction(() => (window as unknown as W).refreshes >= 2, undefined, { timeout: 15_000 });
    const sent = await sendTo('wes', 'Still here');
    await page.waitForFunction((id) => (window as unknown as W).received.some((n) => n.id === id), sent.body.id);
    expect(await page.evaluate(() => (window as unknown as W).connects)).toBe(1);
    expect(await page.evaluate(() => (window as unknown as W).errors)).toEqual([]);
    await ctx.close();
  });

  it('offers a soft prompt that remembers "Not now" and asks the browser on "Allow"', async () => {
    const ctx = await browser.newContext();
    const { page } = await open(ctx, 'user=xena');
    const first = page.evaluate(() =>
      (window as unknown as { Herald: { softPrompt(): Promise<string> } }).Herald.softPrompt(),
    );
    await page.locator('herald-soft-prompt').getByRole('button', { name: 'Not now' }).click();
    expect(await first).toBe('snoozed');
    await page.reload();
    await page.waitForFunction(() => (window as unknown as W).Herald.state === 'connected');
    expect(
      await page.evaluate(() =>
        (window as unknown as { Herald: { softPrompt(): Promise<string> } }).Herald.softPrompt(),
      ),
    ).toBe('snoozed');
    expect(await page.locator('herald-soft-prompt').count()).toBe(0);

    const ctx2 = await browser.newContext();
    await ctx2.grantPermissions(['notifications'], { origin: siteUrl });
    const fresh = await ctx2.newPage();
    await fresh.goto(`${siteUrl}/?user=xena`);
    // Granted already: no card at all.
    expect(
      await fresh.evaluate(() =>
        (window as unknown as { Herald: { softPrompt(): Promise<string> } }).Herald.softPrompt(),
      ),
    ).toBe('granted');
    await ctx.close();
    await ctx2.close();
  });

  it('reconnects when the browser comes back online, and catches up on what it missed', async () => {
    const ctx = await context('granted');
    const { page } = await open(ctx, 'user=yuri');
    await ctx.setOffline(true);
    await page.waitForFunction(() => (window as unknown as W).Herald.state !== 'connected');
    const missed = await sendTo('yuri', 'While offline');
    await ctx.setOffline(false);
    await page.waitForFunction((id) => (window as unknown as W).received.some((n) => n.id === id), missed.body.id, {
      timeout: 20_000,
    });
    await eventually(async () => (await page.evaluate(() => (window as unknown as W).Herald.state)) === 'connected');
    await ctx.close();
  });
});
