/**
 * The shipped sdk.js and inbox.js in real Chromium, the preferences view of `<herald-inbox>` and
 * `Herald.preferences`, against a scripted socket (the `io` option) that answers `preferences:get`
 * and `preferences:set` as the contract says: what it lists, what a change sends, what a refusal
 * does to the control, and that it all works from the keyboard.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/browser.js';
import { ROOT } from './support/herald.js';

const SITE = 'http://shop.test';
const dist = (file: string) => readFileSync(join(ROOT, 'packages/sdk/dist', file), 'utf8');
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/**
 * A socket for `Herald.init({ io })`: it connects at once, says `synced`, and answers requests
 * from a server state kept in the page (`window.server`); every request lands in `window.asked`.
 */
const FAKE_SERVER = `
window.asked = [];
window.server = {
  categories: [
    { key: 'billing', name: 'Billing', description: 'Invoices and payment problems', defaultMode: 'popup', required: true },
    { key: 'marketing', name: 'Offers', description: null, defaultMode: 'inbox', required: false },
  ],
  preferences: { categories: { marketing: 'off' }, topics: { launches: 'inbox' }, quietHours: null },
  topics: ['launches', 'team/alpha', 'toString'],
  refuseNext: null,
};
const reply = () => ({ ok: true, preferences: structuredClone(server.preferences), categories: structuredClone(server.categories) });
const answers = {
  'preferences:get': reply,
  'preferences:set': (patch) => {
    if (server.refuseNext) {
      const refusal = server.refuseNext;
      server.refuseNext = null;
      return { ok: false, ...refusal };
    }
    for (const kind of ['categories', 'topics'])
      for (const [key, mode] of Object.entries(patch[kind] ?? {}))
        if (mode === null) delete server.preferences[kind][key];
        else server.preferences[kind][key] = mode;
    if ('quietHours' in patch) server.preferences.quietHours = patch.quietHours;
    return reply();
  },
  'topics:list': () => ({ ok: true, topics: server.topics }),
  'inbox:list': () => ({ ok: true, items: [], nextCursor: null, unread: 0 }),
  'inbox:unread': () => ({ ok: true, unread: 0 }),
  sync: () => ({ ok: true, notifications: [], head: 0, streams: {} }),
};
window.fakeIo = (url, options) => {
  const handlers = {};
  const fire = (event, ...args) => (handlers[event] ?? []).forEach((h) => h(...args));
  const socket = {
    connected: false,
    active: true,
    on(event, handler) { (handlers[event] ??= []).push(handler); return socket; },
    emit() { return socket; },
    timeout: () => ({
      async emitWithAck(event, payload) {
        asked.push([event, structuredClone(payload)]);
        await new Promise((r) => setTimeout(r, 20));
        return answers[event]?.(payload) ?? { ok: false, code: 'HERALD_ERR_UNKNOWN', message: 'No answer for ' + event };
      },
    }),
    connect() {},
    disconnect() { socket.connected = false; },
    io: { disconnect() {} },
  };
  options.auth(() => setTimeout(() => {
    socket.connected = true;
    fire('connect');
    fire('synced', { count: 0, head: 0, streams: {}, now: Date.now() });
  }));
  return socket;
};`;

/** The integrator's page: sdk.js by script tag, a `<herald-inbox>`, Herald on the fake socket. */
async function open(timezoneId = 'Asia/Tokyo'): Promise<Page> {
  const context = await browser.newContext({ timezoneId });
  const page = await context.newPage();
  await page.route(`${SITE}/**`, (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/sdk.js' || path === '/inbox.js')
      return route.fulfill({ contentType: 'text/javascript', body: dist(path.slice(1)) });
    return route.fulfill({
      contentType: 'text/html',
      body: `<!doctype html><html lang="en"><head><title>Shop</title></head><body>
<header>My shop <herald-inbox></herald-inbox></header>
<script src="${SITE}/sdk.js"></script>
<script>${FAKE_SERVER}
  window.early = Herald.preferences.get().then(() => 'resolved', (e) => e.message);
  Herald.init({ url: '${SITE}', token: 't', io: fakeIo, Notification: null });
</script></body></html>`,
    });
  });
  await page.goto(`${SITE}/`);
  return page;
}

const inbox = (page: Page) => page.locator('herald-inbox');
const asked = (page: Page, event: string) =>
  page.evaluate((e) => window.asked.filter(([name]) => name === e).map(([, payload]) => payload), event);
const lastSet = async (page: Page) => (await asked(page, 'preferences:set')).at(-1);

async function openPreferences(page: Page) {
  await inbox(page)
    .getByRole('button', { name: /^Notifications/ })
    .click();
  await inbox(page).getByRole('button', { name: 'Preferences' }).click();
  await inbox(page).getByLabel('Billing').waitFor();
}

declare global {
  interface Window {
    asked: Array<[string, unknown]>;
    early: Promise<string>;
    server: { refuseNext: { code: string; message: string } | null; preferences: unknown };
  }
}

describe('the inbox widget’s preferences', () => {
  it('Herald.preferences answers with the preferences and the categories, and rejects before init as the topics methods do', async () => {
    const page = await open();
    expect(await page.evaluate(() => window.early)).toBe('Call Herald.init({ token }) first.');
    const got = await page.evaluate(async () => {
      const H = (window as unknown as { Herald: { preferences: { get(): Promise<unknown> } } }).Herald;
      return H.preferences.get();
    });
    expect(got).toEqual({
      preferences: { categories: { marketing: 'off' }, topics: { launches: 'inbox' }, quietHours: null },
      categories: expect.arrayContaining([expect.objectContaining({ key: 'billing', required: true })]),
    });
    expect(got).not.toHaveProperty('ok');
    await page.context().close();
  });

  it('lists the categories with their descriptions, refuses "off" to a required one and says so, and lists the user’s topics', async () => {
    const page = await open();
    const toggle = inbox(page).getByRole('button', { name: 'Preferences' });
    await inbox(page)
      .getByRole('button', { name: /^Notifications/ })
      .click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    await expect.poll(() => inbox(page).getByRole('heading').textContent()).toBe('Preferences');

    const billing = inbox(page).getByLabel('Billing');
    await billing.waitFor();
    expect(await billing.inputValue()).toBe('popup'); // the category's default
    expect(
      await billing
        .locator('option')
        .evaluateAll((os) => (os as HTMLOptionElement[]).map((o) => [o.textContent, o.disabled])),
    ).toEqual([
      ['Popup', false],
      ['Inbox only', false],
      ['Off', true],
    ]);
    // Its description and the "required" hint are read with it.
    expect(await billing.evaluate((s) => s.getAttribute('aria-describedby'))).toMatch(/ /);
    const described = await billing.evaluate((s) =>
      (s.getAttribute('aria-describedby') ?? '')
        .split(' ')
        .map((id) => (s.getRootNode() as ShadowRoot).getElementById(id)?.textContent),
    );
    expect(described).toEqual(['Invoices and payment problems', 'Required: cannot be turned off']);

    const offers = inbox(page).getByLabel('Offers');
    expect(await offers.inputValue()).toBe('off'); // the user's choice over the default (inbox)
    expect(await offers.locator('option[value=off]').isDisabled()).toBe(false);
    expect(await offers.getAttribute('aria-describedby')).toBeNull();

    expect(await inbox(page).getByLabel('launches').inputValue()).toBe('inbox');
    expect(await inbox(page).getByLabel('team/alpha').inputValue()).toBe('popup'); // a topic's default
    // A name every object has is no choice the user made: the default too.
    expect(await inbox(page).getByLabel('toString').inputValue()).toBe('popup');
    expect(await inbox(page).getByRole('group', { name: 'Topics' }).getByRole('combobox').count()).toBe(3);

    const quiet = inbox(page).getByLabel('Pause popups');
    expect(await quiet.isChecked()).toBe(false);
    expect(await inbox(page).getByLabel('From').isDisabled()).toBe(true);
    expect(await inbox(page).getByLabel('Time zone').inputValue()).toBe('Asia/Tokyo'); // the browser's

    // The notifications come back with the same button.
    await toggle.click();
    expect(await inbox(page).locator('[part~=prefs]').isHidden()).toBe(true);
    expect(await inbox(page).getByRole('button', { name: 'Mark all read' }).isVisible()).toBe(true);
    expect(await asked(page, 'preferences:get')).toHaveLength(1);
    await page.context().close();
  });

  it('a change sends only its own key and says it was saved', async () => {
    const page = await open();
    await openPreferences(page);
    const status = inbox(page).getByRole('status');

    await inbox(page).getByLabel('Offers').selectOption('popup');
    await expect.poll(() => status.textContent()).toBe('Saved.');
    expect(await lastSet(page)).toEqual({ categories: { marketing: 'popup' } });

    await inbox(page).getByLabel('team/alpha').selectOption('off');
    await expect.poll(() => lastSet(page)).toEqual({ topics: { 'team/alpha': 'off' } });

    await inbox(page).getByLabel('Pause popups').check();
    await expect
      .poll(() => lastSet(page))
      .toEqual({
        quietHours: { start: '22:00', end: '07:00', timeZone: 'Asia/Tokyo' },
      });
    await inbox(page).getByLabel('From').fill('23:30');
    await expect
      .poll(() => lastSet(page))
      .toEqual({
        quietHours: { start: '23:30', end: '07:00', timeZone: 'Asia/Tokyo' },
      });
    await inbox(page).getByLabel('Time zone').selectOption('Europe/Paris');
    await expect
      .poll(() => lastSet(page))
      .toEqual({
        quietHours: { start: '23:30', end: '07:00', timeZone: 'Europe/Paris' },
      });
    await inbox(page).getByLabel('Pause popups').uncheck();
    await expect.poll(() => lastSet(page)).toEqual({ quietHours: null });
    await expect.poll(() => status.textContent()).toBe('Saved.');
    expect(await asked(page, 'preferences:set')).toHaveLength(6);
    expect(await page.evaluate(() => window.server.preferences)).toEqual({
      categories: { marketing: 'popup' },
      topics: { launches: 'inbox', 'team/alpha': 'off' },
      quietHours: null,
    });
    await page.context().close();
  });

  it('a refused change puts the control back and says why, in the status line', async () => {
    const page = await open();
    await openPreferences(page);
    await page.evaluate(() => {
      window.server.refuseNext = { code: 'HERALD_ERR_VALIDATION', message: 'Unknown time zone.' };
    });
    const quiet = inbox(page).getByLabel('Pause popups');
    await quiet.click(); // not check(): that insists the box stays checked, and the refusal unchecks it
    const status = inbox(page).getByRole('status');
    await expect.poll(() => status.textContent()).toBe('Not saved. Unknown time zone.');
    expect(await status.getAttribute('data-error')).not.toBeNull();
    expect(await quiet.isChecked()).toBe(false);

    await page.evaluate(() => {
      window.server.refuseNext = { code: 'HERALD_ERR_CATEGORY_NOT_FOUND', message: 'No category "marketing".' };
    });
    const offers = inbox(page).getByLabel('Offers');
    await offers.selectOption('inbox');
    await expect.poll(() => status.textContent()).toBe('Not saved. No category "marketing".');
    expect(await offers.inputValue()).toBe('off');

    // The next change that goes through clears the error.
    await offers.selectOption('inbox');
    await expect.poll(() => status.textContent()).toBe('Saved.');
    expect(await status.getAttribute('data-error')).toBeNull();

    // Quiet hours without an end are not sent: the status says what is missing.
    await quiet.check();
    await expect.poll(() => status.textContent()).toBe('Saved.');
    const sent = (await asked(page, 'preferences:set')).length;
    await inbox(page).getByLabel('to', { exact: true }).fill('');
    await expect.poll(() => status.textContent()).toBe('Choose when quiet hours start and end.');
    expect(await asked(page, 'preferences:set')).toHaveLength(sent);
    await page.context().close();
  });

  it('works from the keyboard: the gear, the selects in order, Escape closes', async () => {
    const page = await open();
    await inbox(page)
      .getByRole('button', { name: /^Notifications/ })
      .focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab'); // Mark all read
    await page.keyboard.press('Tab'); // the gear
    await page.keyboard.press('Enter');
    await inbox(page).getByLabel('Billing').waitFor();
    const focused = () =>
      inbox(page).evaluate(
        (el) => el.shadowRoot?.activeElement?.getAttribute('aria-label') ?? el.shadowRoot?.activeElement?.id,
      );
    expect(await focused()).toBe('Preferences');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('hc0'); // Billing
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('hc1'); // Offers
    await page.keyboard.press('ArrowUp'); // off → inbox only
    await expect.poll(() => lastSet(page)).toEqual({ categories: { marketing: 'inbox' } });
    await page.keyboard.press('Escape');
    expect(await inbox(page).locator('[part~=panel]').isHidden()).toBe(true);
    await page.context().close();
  });
});
