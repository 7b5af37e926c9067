/**
 * The dashboard end to end in real Chromium against a real Herald: sign in, send from the
 * composer, watch counters and the log update live as a client acks, manage topics and categories
 * (a send in a category the user turned off is skipped), manage keys (a revoked key's next call is
 * refused), Web Push (the user's browser on their page, a tab's ack sparing it the push, the app's
 * key rotated: the browser must re-subscribe), the audit trail, and a viewer who cannot send or
 * rotate. Takes one screenshot per page into docs/screenshots/.
 */
import { createECDH, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/browser.js';
import {
  api,
  dropQueuePrefix,
  eventually,
  type HeraldProcess,
  ROOT,
  startHerald,
  tempDir,
  uid,
} from './support/herald.js';

const API_KEY = `hk_${uid()}${uid()}${uid()}`;
const OWNER = { email: 'owner@example.com', password: 'owner-password-1' };
const VIEWER = { email: 'viewer@example.com', password: 'viewer-password-1' };
const SHOTS = join(ROOT, 'docs/screenshots');
/** Zoe's browser, as its socket's handshake says it. */
const ZOE_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const ZOE_ORIGIN = 'https://shop.example.com';
const queuePrefix = `{herald-e2e-${uid()}}`;
const data = tempDir();
let herald: HeraldProcess;
let browser: Browser;
let client: Socket;
/** The app's Web Push key Zoe's browser subscribed with. */
let zoeKey: string;
const consoleErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  herald = await startHerald({
    env: {
      HERALD_DATA_DIR: data.path,
      HERALD_API_KEY: API_KEY,
      HERALD_ADMIN_EMAIL: OWNER.email,
      HERALD_ADMIN_PASSWORD: OWNER.password,
      HERALD_QUEUE_PREFIX: queuePrefix,
      // Zoe's push endpoint is never posted to (her tab acks everything); its host is not resolved.
      HERALD_PUSH_ALLOW_PRIVATE: 'true',
    },
  });
  browser = await launchChromium();
  // A user's browser, acking what it receives, and subscribed to Web Push as the SDK does it.
  const { body } = await api<{ token: string }>(herald.url, '/v1/tokens', { key: API_KEY, body: { userId: 'zoe' } });
  client = io(herald.url, {
    auth: { token: body.token },
    transports: ['websocket'],
    extraHeaders: { 'user-agent': ZOE_UA, origin: ZOE_ORIGIN },
  });
  client.on('notification', (_n: unknown, ack: (r: unknown) => void) => ack({ ok: true }));
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  zoeKey = ((await client.timeout(5000).emitWithAck('push:key', {})) as { publicKey: string }).publicKey;
  const subscribed = await client.timeout(5000).emitWithAck('push:subscribe', {
    endpoint: `https://fcm.googleapis.com/fcm/send/e2e-${uid()}`,
    keys: { p256dh: createECDH('prime256v1').generateKeys('base64url'), auth: randomBytes(16).toString('base64url') },
    publicKey: zoeKey,
  });
  expect(subscribed).toMatchObject({ ok: true, subscription: { status: 'active' } });
});

afterAll(async () => {
  client?.disconnect();
  await browser?.close();
  await herald?.stop();
  await dropQueuePrefix(queuePrefix);
  data.remove();
});

async function signedIn(who: { email: string; password: string }): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${m.text()} @ ${page.url()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${herald.url}/dashboard/`);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Dashboard' }).waitFor();
  return page;
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
const counter = (page: Page, metric: string) => page.locator(`herald-overview [data-metric=${metric}] b`).textContent();

describe('dashboard', () => {
  let page: Page;

  it('signs in, survives a reload, and shows live counters', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const signIn = await context.newPage();
    await signIn.goto(`${herald.url}/dashboard/`);
    await signIn.getByLabel('Email').fill(OWNER.email);
    await signIn.getByLabel('Password').fill('wrong password');
    await signIn.getByRole('button', { name: 'Sign in' }).click();
    await expect
      .poll(() => signIn.getByRole('alert').textContent(), { timeout: 10_000 })
      .toMatch(/email or password is wrong/);
    await shot(signIn, 'sign-in');
    await context.close();

    page = await signedIn(OWNER);
    await page.reload();
    await page.getByRole('navigation', { name: 'Dashboard' }).waitFor();
    await expect.poll(() => counter(page, 'users'), { timeout: 15_000 }).toBe('1');
    await expect.poll(() => page.locator('nav .live').textContent(), { timeout: 10_000 }).toMatch(/live/);
  });

  it('sends from the composer; the counters and the log update live as the client acks', async () => {
    const before = Number(await counter(page, 'delivered'));
    await page.getByRole('link', { name: 'Send', exact: true }).click();
    await page.getByLabel('User id').fill('zoe');
    await page.getByLabel('Title').fill('Your order shipped');
    await page.getByLabel('Body').fill('It arrives tomorrow.');
    await expect
      .poll(() => page.locator('[data-preview] b').textContent(), { timeout: 5000 })
      .toBe('Your order shipped');
    await shot(page, 'composer');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByRole('link', { name: 'See what happens to it' }).click();
    await expect.poll(() => page.locator('[data-step=delivered] b').textContent(), { timeout: 15_000 }).toBe('1');
    await expect
      .poll(() => page.locator('tr[data-user=zoe] .pill').first().textContent(), { timeout: 10_000 })
      .toBe('delivered');
    // Zoe's tab acked it in her subscribed browser: that browser gets no push. The row is written a
    // moment after the ack; the page shows it once it is there.
    const id = page.url().split('/').pop() as string;
    await eventually(
      async () => {
        const detail = await page.evaluate(
          async (path) => (await fetch(path)).json(),
          `/admin/api/notifications/${id}`,
        );
        return detail.push.socket === 1;
      },
      15_000,
      250,
    );
    await page.reload();
    await expect.poll(() => page.locator('herald-app .live').textContent(), { timeout: 10_000 }).toBe('● live');
    await expect
      .poll(() => page.locator('[data-push-count=socket]').textContent(), { timeout: 10_000 })
      .toBe('1 browser had it on a socket (a tab acknowledged it): no push.');
    expect(await page.locator('tr[data-user=zoe] [data-push] summary').textContent()).toMatch(
      /^socket\s+1 browser, 0 attempts$/,
    );
    await shot(page, 'notification');

    await page.getByRole('link', { name: 'Overview' }).click();
    await expect.poll(() => counter(page, 'delivered'), { timeout: 15_000 }).toBe(String(before + 1));
    await shot(page, 'overview');

    // A REST send appears in an open log without a reload.
    await page.getByRole('link', { name: 'Notifications' }).click();
    await page.locator('herald-notifications table').waitFor();
    const sent = await api<{ id: string }>(herald.url, '/v1/notifications', {
      key: API_KEY,
      body: { to: { userId: 'zoe' }, title: 'From the backend' },
    });
    await page.locator(`herald-notifications tr[data-id="${sent.body.id}"]`).waitFor({ timeout: 15_000 });
    await shot(page, 'notifications');
  });

  it('shows who is online on the subscribers page', async () => {
    await page.getByRole('link', { name: 'Subscribers' }).click();
    await expect
      .poll(() => page.locator('herald-subscribers tr[data-user=zoe] [data-presence]').textContent(), {
        timeout: 10_000,
      })
      .toBe('online');
    await shot(page, 'subscribers');
  });

  it('creates a topic and adds users to it; the API sees them', async () => {
    await page.getByRole('link', { name: 'Topics' }).click();
    await page.getByRole('textbox', { name: 'New topic' }).fill('team/alpha');
    await page.getByLabel('Users may subscribe themselves').check();
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('herald-topics tr[data-topic="team/alpha"] a').click();
    await page.getByRole('textbox', { name: 'Add users' }).fill('zoe, yan');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await expect.poll(() => page.locator('herald-topics tr[data-member]').count()).toBe(2);
    const { body } = await api<{ topic: string; subscribers: number; public: boolean }>(
      herald.url,
      `/v1/topics/${encodeURIComponent('team/alpha')}`,
      { key: API_KEY },
    );
    expect(body).toMatchObject({ topic: 'team/alpha', subscribers: 2, public: true });
    // "Create" again, without "public": refused, and the topic stays public.
    await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Topics' }).click();
    await page.getByRole('textbox', { name: 'New topic' }).fill('team/alpha');
    await page.getByRole('button', { name: 'Create' }).click();
    await expect
      .poll(() => page.locator('herald-topics [role="alert"]').textContent())
      .toMatch(/^Topic "team\/alpha" already exists in this app/);
    const again = await api<{ public: boolean }>(herald.url, `/v1/topics/${encodeURIComponent('team/alpha')}`, {
      key: API_KEY,
    });
    expect(again.body.public).toBe(true);
    // The browser logs that refusal (412) as it does every 4xx: ours, not a fault.
    const refusal = consoleErrors.findIndex((e) => e.includes('412 (Precondition Failed)'));
    expect(refusal).toBeGreaterThanOrEqual(0);
    consoleErrors.splice(refusal, 1);
    await page.locator('herald-topics tr[data-topic="team/alpha"] a').click();
    // A send to the topic is listed on its page, for the users it had when accepted.
    const sent = await api<{ id: string }>(herald.url, '/v1/notifications', {
      key: API_KEY,
      body: { to: { topic: 'team/alpha' }, title: 'Standup moved to 10:00' },
    });
    expect(sent.status).toBe(202);
    await page.reload();
    await expect
      .poll(() => page.locator('herald-topics [data-sends] tbody tr').first().textContent(), { timeout: 15_000 })
      .toMatch(/Standup moved to 10:00\s*\w+\s*2 users/);
    await expect.poll(() => page.locator('herald-app .live').textContent()).toBe('● live');
    await shot(page, 'topics');
  });

  it('creates a category; a send in it from the composer is skipped for a user who turned it off', async () => {
    await page.getByRole('link', { name: 'Categories' }).click();
    const create = page.getByRole('form', { name: 'New category' });
    await create.getByLabel('Key').fill('marketing');
    await create.getByLabel('Name').fill('Offers');
    await create.getByLabel(/Description/).fill('Sales and new products');
    await create.getByLabel('Default mode').selectOption('inbox');
    await create.getByRole('button', { name: 'Create' }).click();
    await page.locator('herald-categories tr[data-category=marketing]').waitFor();
    const listed = await api<{ categories: unknown[] }>(herald.url, '/v1/categories', { key: API_KEY });
    expect(listed.body.categories).toEqual([
      {
        key: 'marketing',
        name: 'Offers',
        description: 'Sales and new products',
        defaultMode: 'inbox',
        required: false,
        createdAt: expect.any(String),
      },
    ]);
    const off = await api(herald.url, '/v1/users/zoe/preferences', {
      method: 'PATCH',
      key: API_KEY,
      body: { categories: { marketing: 'off' } },
    });
    expect(off.status).toBe(200);
    await shot(page, 'categories');

    await page.getByRole('link', { name: 'Send', exact: true }).click();
    await page.getByLabel('User id').fill('zoe');
    await page.getByLabel('Title').fill('Weekend sale');
    await page.getByLabel(/Category/).selectOption('marketing');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.getByRole('link', { name: 'See what happens to it' }).click();
    await expect
      .poll(() => page.locator('[data-count=skipped]').textContent(), { timeout: 15_000 })
      .toMatch(/^1 skipped/);
    expect(await page.locator('tr[data-user=zoe] .pill').first().textContent()).toBe('skipped');
    expect(await page.locator('tr[data-user=zoe] [data-reason]').textContent()).toMatch(/marketing/);

    // The same in a send to a topic she is in: its page counts her as skipped too.
    await page.getByRole('link', { name: 'Send', exact: true }).click();
    await page.getByLabel('topics', { exact: true }).check();
    await page.getByLabel(/Topics/).fill('team/alpha');
    await page.getByLabel('Title').fill('Team offer');
    await page.getByLabel(/Category/).selectOption('marketing');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.getByRole('link', { name: 'See what happens to it' }).click();
    await expect
      .poll(() => page.locator('[data-count=skipped]').textContent(), { timeout: 15_000 })
      .toMatch(/^1 skipped/);
    expect(await page.locator('tr[data-user=zoe] .pill').first().textContent()).toBe('skipped');

    // Zoe's page shows the choice that skipped it.
    await page.getByRole('link', { name: 'Subscribers' }).click();
    await page.locator('herald-subscribers tr[data-user=zoe] a').click();
    await expect
      .poll(() => page.locator('herald-subscribers [data-choices=category] tbody tr').allTextContents())
      .toEqual([expect.stringMatching(/^\s*marketing\s*off\s*$/)]);
    // And her browser subscribed to Web Push: which one, where from, and that it gets pushes.
    expect(await page.locator('herald-subscribers [data-browsers] tbody tr td').allTextContents()).toEqual([
      'Chrome 131 on Windows',
      'fcm.googleapis.com',
      ZOE_ORIGIN,
      expect.stringMatching(/^active/),
      expect.stringMatching(/ago \/ .*ago$/),
      'none yet',
      '—',
    ]);
    await shot(page, 'subscriber');
  });

  it('creates and revokes an API key; the revoked key is refused on its next call', async () => {
    await page.getByRole('link', { name: 'Apps & keys' }).click();
    const app = page.locator('herald-apps [data-app=default]');
    await app.getByLabel('Key name').fill('ci key');
    await app.getByRole('button', { name: 'Create API key' }).click();
    const secret = ((await page.locator('[data-secret]').textContent()) ?? '').trim();
    expect(secret).toMatch(/^hk_/);
    const ok = await api(herald.url, '/v1/notifications', {
      key: secret,
      body: { to: { userId: 'zoe' }, title: 'with the new key' },
    });
    expect(ok.status).toBe(202);
    await shot(page, 'apps');
    await page.getByRole('button', { name: 'Done' }).click();
    await page
      .locator(`tr[data-key="${secret.slice(0, 10)}"]`)
      .getByRole('button', { name: 'Revoke' })
      .click();
    await page.locator(`tr[data-key="${secret.slice(0, 10)}"] .pill`).waitFor();
    const refused = await api<{ code: string }>(herald.url, '/v1/notifications', {
      key: secret,
      body: { to: { userId: 'zoe' }, title: 'x' },
    });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('HERALD_ERR_API_KEY_REVOKED');
  });

  it("shows the app's Web Push key and rotates it: Zoe's browser must subscribe again", async () => {
    await page.getByRole('link', { name: 'Apps & keys' }).click();
    const push = page.locator('herald-apps [data-app=default] [data-push]');
    await expect.poll(() => push.locator('[data-push-key]').getAttribute('title')).toBe(zoeKey);
    expect(await push.locator('[data-push-summary]').textContent()).toMatch(
      /^1 browser subscribed ·\s+push key never rotated/,
    );
    await push.getByRole('button', { name: 'Rotate push key' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Rotate the push key of default' });
    expect(await dialog.textContent()).toMatch(/\(1 browser\) must subscribe again/);
    await dialog.getByRole('button', { name: 'Rotate push key' }).click();
    await expect
      .poll(() => push.locator('[data-push-rotated]').textContent())
      .toBe('New push key. 1 browser must subscribe again; the SDK does it when each next connects.');
    const rotated = await push.locator('[data-push-key]').getAttribute('title');
    expect(rotated).toMatch(/^B[\w-]{86}$/);
    expect(rotated).not.toBe(zoeKey);
    // Zoe's browser now waits for its SDK to subscribe again with the new key.
    const again = (await client.timeout(5000).emitWithAck('push:key', {})) as { publicKey: string };
    expect(again.publicKey).toBe(rotated);
    await page.getByRole('link', { name: 'Subscribers' }).click();
    await page.locator('herald-subscribers tr[data-user=zoe] a').click();
    await expect
      .poll(() => page.locator('herald-subscribers [data-browsers] [data-status]').textContent())
      .toMatch(/^needs re-subscription/);
  });

  it('shows queue health and the audit trail', async () => {
    await page.getByRole('link', { name: 'Queue' }).click();
    await page.locator('herald-queue [data-count=failed]').waitFor();
    await shot(page, 'queue');
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.locator('herald-audit tr[data-action="key.revoke"]').waitFor();
    // Three sends from the composer: the first, and the two in a category (to Zoe, to her topic).
    await expect.poll(() => page.locator('herald-audit tr[data-action="notification.send"]').count()).toBe(3);
    await page.locator('herald-audit tr[data-action="category.create"]').waitFor();
    await page.locator('herald-audit tr[data-action="app.rotate_push_key"]').waitFor();
    await shot(page, 'audit');
  });

  it('lets the owner add a viewer, who can look but not send', async () => {
    await page.getByRole('link', { name: 'Admins' }).click();
    await page.getByLabel('Email').fill(VIEWER.email);
    await page.getByLabel('Password').fill(VIEWER.password);
    await page.getByLabel('Role').selectOption('viewer');
    await page.getByRole('button', { name: 'Add' }).click();
    await page.locator('herald-admins td', { hasText: VIEWER.email }).waitFor();
    await shot(page, 'admins');

    const viewer = await signedIn(VIEWER);
    await viewer.getByRole('link', { name: 'Send', exact: true }).click();
    await expect.poll(() => viewer.getByRole('note').textContent(), { timeout: 10_000 }).toMatch(/viewer.*cannot send/);
    expect(await viewer.getByRole('button', { name: 'Send' }).count()).toBe(0);
    const attempt = await viewer.evaluate(async () => {
      const res = await fetch('/admin/api/notifications', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ appId: 'default', to: { userId: 'zoe' }, title: 'sneaky' }),
      });
      return { status: res.status, code: (await res.json()).code };
    });
    expect(attempt).toEqual({ status: 403, code: 'HERALD_ERR_FORBIDDEN' });
    // That refused request was ours, on purpose: not a dashboard error.
    const ours = consoleErrors.findIndex((e) => e.includes('403 (Forbidden)'));
    if (ours >= 0) consoleErrors.splice(ours, 1);
    await viewer.getByRole('link', { name: 'Apps & keys' }).click();
    await viewer.locator('herald-apps [data-app=default]').waitFor();
    expect(await viewer.getByRole('button', { name: 'Revoke' }).count()).toBe(0);
    expect(await viewer.locator('herald-apps [data-app=default] [data-push-key]').count()).toBe(1);
    expect(await viewer.getByRole('button', { name: 'Rotate push key' }).count()).toBe(0);
  });

  it('keeps every page within the window, at 1,280 and at 390 wide, with the longest names and titles', async () => {
    // The longest app name the form takes, and the longest title the API takes, in one word each.
    await page.getByRole('link', { name: 'Apps & keys' }).click();
    await page.getByLabel('Name').last().fill('N'.repeat(100));
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.locator('[data-secret]').first().waitFor();
    const sent = await api<{ id: string }>(herald.url, '/v1/notifications', {
      key: API_KEY,
      body: { to: { topics: ['t'.repeat(100)] }, title: 'T'.repeat(256) },
    });
    expect(sent.status === 202 || sent.status === 404).toBe(true);
    const long = await api<{ id: string }>(herald.url, '/v1/notifications', {
      key: API_KEY,
      body: { to: { userId: 'u'.repeat(256) }, title: 'T'.repeat(256) },
    });
    expect(long.status).toBe(202);
    const pages = [
      '#/',
      '#/compose',
      '#/notifications',
      `#/notifications/${long.body.id}`,
      '#/apps',
      '#/topics',
      '#/audit',
    ];
    const wider: string[] = [];
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 860 });
      for (const hash of pages) {
        await page.goto(`${herald.url}/dashboard/${hash}`);
        await page.getByRole('navigation', { name: 'Dashboard' }).waitFor();
        await page.waitForTimeout(400);
        const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
        if (scroll > width + 1) wider.push(`${hash} at ${width}: ${scroll}px`);
        // A status pill or a table's button stays on one line ("sched / uled" was unreadable at 390).
        const broken = await page.evaluate(() => {
          const found: string[] = [];
          const walk = (root: Document | ShadowRoot) => {
            for (const el of root.querySelectorAll<HTMLElement>('.pill, td button')) {
              // The lines its text takes: one box per line.
              const range = document.createRange();
              range.selectNodeContents(el);
              const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
              if (lines.size > 1) found.push(el.textContent?.trim() ?? '');
            }
            for (const host of root.querySelectorAll('*')) if (host.shadowRoot) walk(host.shadowRoot);
          };
          walk(document);
          return found;
        });
        for (const text of broken) wider.push(`${hash} at ${width}: "${text}" broken over lines`);
      }
    }
    await page.setViewportSize({ width: 1280, height: 860 });
    expect(wider).toEqual([]);
  });

  it('logged no console errors on any page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
