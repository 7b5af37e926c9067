/**
 * The dashboard's defences in real Chromium against a real Herald: a page on another port of the
 * same site (same SITE, so the SameSite=Strict session cookie goes along) cannot make a signed-in
 * admin's browser change anything, nor frame the dashboard; and the dashboard, the demo page and
 * the API docs all run under Herald's Content-Security-Policy without a single violation.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/browser.js';
import { dropQueuePrefix, type HeraldProcess, startHerald, tempDir, uid } from './support/herald.js';

const API_KEY = `hk_${uid()}${uid()}${uid()}`;
const OWNER = { email: 'owner@example.com', password: 'owner-password-1' };
const queuePrefix = `{herald-sec-${uid()}}`;
const data = tempDir();
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
  herald = await startHerald({
    env: {
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
