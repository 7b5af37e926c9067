/**
 * The whole path in a real browser: an integrator's page on another origin embeds
 * `<script src="http://127.0.0.1:<api>/sdk.js">`, its backend hands the page a token from
 * POST /v1/tokens, and a REST send makes Chromium show a native notification.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, RECORD_NOTIFICATIONS } from './support/browser.js';
import { api, dropQueuePrefix, eventually, type HeraldProcess, startHerald, tempDir, uid } from './support/herald.js';

const API_KEY = `hk_${uid()}${uid()}${uid()}`;
const queuePrefix = `{herald-e2e-${uid()}}`;
const data = tempDir();
let herald: HeraldProcess;
let site: Server;
let siteUrl: string;
let browser: Browser;

/** The integrator's site: a page that embeds Herald, and a backend route that issues tokens. */
function integratorSite(heraldUrl: string): Server {
  return createServer(async (req, res) => {
    if (req.url?.startsWith('/token')) {
      const userId = new URL(req.url, 'http://x').searchParams.get('user') ?? 'anon';
      const { body } = await api<{ token: string }>(heraldUrl, '/v1/tokens', { key: API_KEY, body: { userId } });
      res.writeHead(200, { 'content-type': 'text/plain' }).end(body.token);
      return;
    }
    const user = new URL(req.url ?? '/', 'http://x').searchParams.get('user') ?? 'anon';
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html>
<html><head><title>Integrator site</title></head><body>
<h1>My shop</h1>
<script src="${heraldUrl}/sdk.js"></script>
<script>
  window.received = [];
  window.errors = [];
  Herald.on('notification', (n, ctx) => window.received.push({ id: n.id, title: n.title, popup: ctx.popup }));
  Herald.on('error', (e) => window.errors.push(e.code + ': ' + e.message));
  Herald.init({ url: ${JSON.stringify(heraldUrl)}, token: () => fetch('/token?user=${user}').then((r) => r.text()) });
</script>
</body></html>`);
  });
}

beforeAll(async () => {
  // The embedded default: no DATABASE_URL, so PGlite under the data directory.
  herald = await startHerald({
    env: { HERALD_DATA_DIR: data.path, HERALD_API_KEY: API_KEY, HERALD_QUEUE_PREFIX: queuePrefix },
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

async function openPage(context: BrowserContext, url: string) {
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto(url);
  return { page, consoleErrors };
}

describe('browser SDK embedded on another origin', () => {
  it('shows a native popup for a notification sent over REST, and reports it displayed', async () => {
    expect(new URL(siteUrl).origin).not.toBe(new URL(herald.url).origin);
    const context = await browser.newContext();
    await context.grantPermissions(['notifications'], { origin: siteUrl });
    await context.addInitScript(RECORD_NOTIFICATIONS);
    const { page, consoleErrors } = await openPage(context, `${siteUrl}/?user=olivia`);
    await page.waitForFunction(() => (window as unknown as { Herald: { state: string } }).Herald.state === 'connected');

    const sent = await api<{ id: string }>(herald.url, '/v1/notifications', {
      key: API_KEY,
      body: { to: { userId: 'olivia' }, title: 'Your order shipped', body: 'Track it now', url: `${siteUrl}/orders/1` },
    });
    expect(sent.status).toBe(202);

    await page.waitForFunction(() => window.__shown.length > 0, undefined, { timeout: 15_000 });
    const shown = await page.evaluate(() => window.__shown);
    expect(shown).toEqual([{ title: 'Your order shipped', body: 'Track it now', tag: sent.body.id }]);
    const received = await page.evaluate(() => (window as unknown as { received: unknown[] }).received);
    expect(received).toEqual([{ id: sent.body.id, title: 'Your order shipped', popup: true }]);

    const counts = await eventually(async () => {
      const { body } = await api<{ counts: Record<string, number> }>(herald.url, `/v1/notifications/${sent.body.id}`, {
        key: API_KEY,
      });
      return body.counts.displayed === 1 ? body.counts : undefined;
    });
    expect(counts).toMatchObject({ queued: 0, sent: 0, displayed: 1 });
    expect(consoleErrors).toEqual([]);
    await context.close();
  });

  it('does not pop up (and does not throw) without permission, but still receives', async () => {
    const context = await browser.newContext();
    await context.addInitScript(RECORD_NOTIFICATIONS);
    const { page, consoleErrors } = await openPage(context, `${siteUrl}/?user=paul`);
    await page.waitForFunction(() => (window as unknown as { Herald: { state: string } }).Herald.state === 'connected');
    const sent = await api<{ id: string }>(herald.url, '/v1/notifications', {
      key: API_KEY,
      body: { to: { userId: 'paul' }, title: 'Quiet' },
    });
    await page.waitForFunction(() => (window as unknown as { received: unknown[] }).received.length > 0);
    expect(await page.evaluate(() => (window as unknown as { received: unknown[] }).received)).toEqual([
      { id: sent.body.id, title: 'Quiet', popup: false },
    ]);
    expect(await page.evaluate(() => window.__created.length)).toBe(0);
    expect(consoleErrors).toEqual([]);
    await context.close();
  });
});

describe('demo page', () => {
  it('raises a real popup after its two buttons are clicked', async () => {
    const context = await browser.newContext();
    await context.grantPermissions(['notifications'], { origin: herald.url });
    await context.addInitScript(RECORD_NOTIFICATIONS);
    const { page, consoleErrors } = await openPage(context, `${herald.url}/`);
    await page.getByRole('button', { name: /Allow notifications/ }).click();
    const send = page.getByRole('button', { name: /Send me a test notification/ });
    await expect.poll(() => send.isEnabled(), { timeout: 15_000 }).toBe(true);
    await send.click();
    await page.waitForFunction(() => window.__shown.length > 0, undefined, { timeout: 15_000 });
    expect((await page.evaluate(() => window.__shown))[0]?.title).toBe('Hello from Herald 👋');
    await expect.poll(() => page.locator('#received li').first().textContent()).toMatch(/popup shown/);
    expect(consoleErrors).toEqual([]);
    await context.close();
  });

  it('serves the dashboard page without console errors', async () => {
    const context = await browser.newContext();
    const { page, consoleErrors } = await openPage(context, `${herald.url}/dashboard/`);
    await expect.poll(() => page.getByRole('button', { name: 'Sign in' }).count(), { timeout: 10_000 }).toBe(1);
    expect(consoleErrors).toEqual([]);
    await context.close();
  });
});
