/**
 * The dashboard's defences in real Chromium against a real Herald: a page on another port of the
 * same site (same SITE, so the SameSite=Strict session cookie goes along) cannot make a signed-in
 * admin's browser change anything, nor frame the dashboard; the dashboard, the demo page and the
 * API docs all run under Herald's Content-Security-Policy without a single violation; and the
 * inbox widget on an integrator's page never follows a notification URL to another host.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/browser.js';
import {
  api,
  createSchema,
  dropQueuePrefix,
  type HeraldProcess,
  query,
  startHerald,
  tempDir,
  uid,
} from './support/herald.js';

const API_KEY = `hk_${uid()}${uid()}${uid()}`;
const OWNER = { email: 'owner@example.com', password: 'owner-password-1' };
const queuePrefix = `{herald-sec-${uid()}}`;
const data = tempDir();
let schema: Awaited<ReturnType<typeof createSchema>>;
let herald: HeraldProcess;
let browser: Browser;
let attacker: Server;
let attackerUrl: string;
let attackerPage = '';

/** Records every CSP violation a page reports, before any of its scripts run. */
const RECORD_CSP_VIOLATIONS = `(() => {
  window.__violations = [];
  document.addEventListener('securitypolicyviolation', (e) =>
    window.__violations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));
})();`;

beforeAll(async () => {
  // On PostgreSQL, so that a test can plant what an older server may have stored.
  schema = await createSchema();
  herald = await startHerald({
    env: {
      DATABASE_URL: schema.url,
      HERALD_DATA_DIR: data.path,
      HERALD_API_KEY: API_KEY,
      HERALD_ADMIN_EMAIL: OWNER.email,
      HERALD_ADMIN_PASSWORD: OWNER.password,
      HERALD_QUEUE_PREFIX: queuePrefix,
    },
  });
  // Another port on the same host: another origin, but the same site as the dashboard.
  attacker = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(attackerPage));
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => attacker?.close(resolve));
  await herald?.stop();
  await schema?.drop();
  await dropQueuePrefix(queuePrefix);
  data.remove();
});

async function signedInContext(): Promise<BrowserContext> {
  const context = await browser.newContext();
  await context.addInitScript(RECORD_CSP_VIOLATIONS);
  const res = await context.request.post(`${herald.url}/admin/api/session`, { data: OWNER });
  expect(res.status()).toBe(200);
  return context;
}

async function appsAndKeys(context: BrowserContext) {
  const apps = (await (await context.request.get(`${herald.url}/admin/api/apps`)).json()) as Array<{
    id: string;
    secretRotatedAt: string | null;
    previousSecretValidUntil: string | null;
    restrictUrls: boolean;
  }>;
  const keys = (await (await context.request.get(`${herald.url}/admin/api/apps/default/keys`)).json()) as Array<{
    id: string;
    revokedAt: string | null;
  }>;
  return { app: apps.find((a) => a.id === 'default'), key: keys[0] };
}

const violations = (page: Page) => page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);

describe('a page of the same site on another port', () => {
  it("cannot rotate a secret or revoke a key from a signed-in admin's browser", async () => {
    const context = await signedInContext();
    const before = await appsAndKeys(context);
    expect(before.app?.secretRotatedAt).toBeNull();
    expect(before.key?.revokedAt).toBeNull();

    // Body-less POSTs need no preflight and carry no Content-Type for Herald to refuse; the
    // cookie goes along because the page is of the same site.
    attackerPage = `<!doctype html><body><script>
  for (const path of ['/admin/api/apps/default/rotate-secret', '/admin/api/keys/${before.key?.id}/revoke']) {
    fetch(${JSON.stringify(herald.url)} + path, { method: 'POST', mode: 'no-cors', credentials: 'include' });
  }
</script></body>`;
    const page = await context.newPage();
    // The page cannot read the answers (Cross-Origin-Resource-Policy), but the requests do reach
    // Herald with the cookie: only what changed tells.
    const done = new Set<string>();
    const finished = (r: { url(): string }) => done.add(r.url());
    page.on('requestfinished', finished);
    page.on('requestfailed', finished);
    await page.goto(attackerUrl);
    await expect.poll(() => [...done].filter((u) => u.startsWith(`${herald.url}/admin/`)).length).toBe(2);

    const after = await appsAndKeys(context);
    expect(after.app?.secretRotatedAt).toBeNull();
    expect(after.key?.revokedAt).toBeNull();
    await context.close();
  });

  it('cannot show the dashboard in a frame', async () => {
    const context = await signedInContext();
    attackerPage = `<!doctype html><body><iframe src="${herald.url}/dashboard/" width="800" height="600"></iframe></body>`;
    const page = await context.newPage();
    const framed = page.waitForResponse((r) => r.url().startsWith(`${herald.url}/dashboard/`));
    await page.goto(attackerUrl);
    expect((await framed).headers()['x-frame-options']).toBe('DENY');
    const frame = page.frames().find((f) => f !== page.mainFrame());
    if (!frame) throw new Error('the iframe is missing');
    // Blocked frames show the browser's error page instead of the dashboard.
    await expect.poll(() => frame.locator('herald-app').count(), { timeout: 5000 }).toBe(0);
    expect(frame.url()).not.toBe(`${herald.url}/dashboard/`);
    await context.close();
  });
});

describe("Herald's own pages under its Content-Security-Policy", () => {
  it('run the dashboard, the demo page and the API docs without a violation', async () => {
    const context = await signedInContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`${m.text()} @ ${page.url()}`);
    });
    page.on('pageerror', (e) => errors.push(e.message));

    await page.goto(`${herald.url}/dashboard/`);
    await page.getByRole('navigation', { name: 'Dashboard' }).waitFor();
    await expect.poll(() => page.locator('nav .live').textContent(), { timeout: 10_000 }).toMatch(/live/);
    for (const name of ['Send', 'Notifications', 'Subscribers', 'Apps & keys', 'Queue', 'Audit log', 'Admins']) {
      await page.getByRole('link', { name, exact: true }).click();
      await page.waitForLoadState('networkidle');
    }
    expect(await violations(page)).toEqual([]);

    await page.goto(`${herald.url}/`);
    await expect.poll(() => page.locator('#state').textContent(), { timeout: 15_000 }).toBe('connected');
    expect(await violations(page)).toEqual([]);

    await page.goto(`${herald.url}/docs/`);
    await expect.poll(() => page.locator('.opblock').count(), { timeout: 15_000 }).toBeGreaterThan(3);
    await page.locator('.opblock-summary').first().click();
    expect(await violations(page)).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe('the inbox widget on an integrator page', () => {
  it('opens a path on the page’s own origin, and does not follow a URL that leads to another host', async () => {
    const send = async (title: string, url: string) =>
      (
        await api<{ id: string }>(herald.url, '/v1/notifications', {
          key: API_KEY,
          body: { to: { userId: 'ivy' }, title, url },
        })
      ).body.id;
    const safe = await send('Your order', '/orders/1');
    const planted = await send('Planted', '/placeholder');
    // What an older server accepted, or anything else that reaches the page: a "path" that is a host.
    await query(schema.url, 'UPDATE notifications SET url = $1 WHERE id = $2', ['//evil.example/phish', planted]);
    const { body } = await api<{ token: string }>(herald.url, '/v1/tokens', { key: API_KEY, body: { userId: 'ivy' } });
    attackerPage = `<!doctype html><body><herald-inbox></herald-inbox>
<script src="${herald.url}/sdk.js"></script>
<script>Herald.init({ url: ${JSON.stringify(herald.url)}, token: ${JSON.stringify(body.token)} });</script></body>`;

    const context = await browser.newContext();
    const page = await context.newPage();
    const evil: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('evil.example')) evil.push(r.url());
    });
    await page.goto(`${attackerUrl}/shop`);
    const inbox = page.locator('herald-inbox');
    await inbox.locator('[part~=bell]').click();
    const item = (title: string) => inbox.locator('[part~=item]', { hasText: title });
    await expect.poll(() => item('Planted').count(), { timeout: 15_000 }).toBe(1);
    await item('Planted').click();
    await page.waitForTimeout(1000);
    expect(evil).toEqual([]);
    expect(page.url()).toBe(`${attackerUrl}/shop`);

    expect(safe).toEqual(expect.any(String));
    await Promise.all([page.waitForURL(`${attackerUrl}/orders/1`), item('Your order').click()]);
    await context.close();
  });
});

describe('the dashboard', () => {
  it('restricts notification links to the allowed origins, and stops accepting a rotated-out secret', async () => {
    const context = await signedInContext();
    const page = await context.newPage();
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${herald.url}/dashboard/#/apps`);
    const app = page.locator('herald-apps section[data-app=default]');
    await app.getByLabel('Allowed SDK origins').fill('https://shop.example.com');
    await app.getByLabel('Notifications may only link to these origins').check();
    await app.getByRole('button', { name: 'Save origins' }).click();
    const send = (url: string) =>
      api<{ code?: string }>(herald.url, '/v1/notifications', {
        key: API_KEY,
        body: { to: { userId: 'dash' }, title: 'Link', url },
      });
    await expect.poll(async () => (await send('https://evil.example.com/')).status, { timeout: 10_000 }).toBe(400);
    expect((await send('https://shop.example.com/orders/1')).status).toBe(202);

    await app.getByRole('button', { name: 'Rotate JWT secret' }).click();
    await expect.poll(() => app.locator('[data-previous-secret]').count(), { timeout: 10_000 }).toBe(1);
    await app.getByRole('button', { name: 'Stop accepting it now' }).click();
    await expect.poll(() => app.locator('[data-previous-secret]').count(), { timeout: 10_000 }).toBe(0);
    const { app: after } = await appsAndKeys(context);
    expect(after).toMatchObject({ previousSecretValidUntil: null, restrictUrls: true });

    // Leave the app as the other tests expect it.
    await context.request.patch(`${herald.url}/admin/api/apps/default`, {
      data: { allowedOrigins: [], restrictUrls: false },
    });
    await context.close();
  });

  it('returns to the sign-in form, saying why, when its session is signed out elsewhere', async () => {
    const context = await signedInContext();
    const page = await context.newPage();
    await page.goto(`${herald.url}/dashboard/`);
    await expect.poll(() => page.locator('nav .live').textContent(), { timeout: 10_000 }).toMatch(/live/);
    // Another tab of the same browser signs out.
    expect((await context.request.delete(`${herald.url}/admin/api/session`)).status()).toBe(200);
    await page.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: 10_000 });
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/signed out/);
    await context.close();
  });
});
