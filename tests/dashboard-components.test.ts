/**
 * Dashboard components in real Chromium, each against a scripted API (page.route), so their
 * behaviour is checked on exact data: error sentences, the composer's preview and role gate,
 * the funnel arithmetic, secrets shown once, empty states.
 */
import type { Browser, Locator, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/browser.js';
import { dropQueuePrefix, type HeraldProcess, startHerald, tempDir, uid } from './support/herald.js';

const queuePrefix = `{herald-e2e-${uid()}}`;
const data = tempDir();
let herald: HeraldProcess;
let browser: Browser;

beforeAll(async () => {
  herald = await startHerald({ env: { HERALD_DATA_DIR: data.path, HERALD_QUEUE_PREFIX: queuePrefix } });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await herald?.stop();
  await dropQueuePrefix(queuePrefix);
  data.remove();
});

type Handler = (route: Route, body: unknown) => unknown;

/** Opens the dashboard with `/admin/api/*` answered by `routes` ("METHOD /path" → JSON or [status, JSON]). */
async function dashboard(routes: Record<string, unknown | Handler>, hash = ''): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  const page = await context.newPage();
  await page.route('**/admin/api/**', async (route) => {
    const url = new URL(route.request().url());
    const key = `${route.request().method()} ${url.pathname}`;
    const answer = routes[key];
    if (answer === undefined)
      return route.fulfill({ status: 404, json: { code: 'HERALD_ERR_ROUTE_NOT_FOUND', message: `unmocked ${key}` } });
    const value =
      typeof answer === 'function' ? await (answer as Handler)(route, route.request().postDataJSON()) : answer;
    const [status, json] = Array.isArray(value) && typeof value[0] === 'number' ? value : [200, value];
    return route.fulfill({ status, json });
  });
  await page.goto(`${herald.url}/dashboard/${hash}`);
  return page;
}

const owner = { 'GET /admin/api/session': { signedIn: true, email: 'o@example.com', role: 'owner' } };
/** A notification's Web Push funnel when none of its recipients has a browser subscribed. */
const noPush = { socket: 0, posted: 0, skipped: 0, accepted: 0, displayed: 0, clicked: 0, failed: 0 };

/** An app as GET /admin/api/apps lists it: no keys used, no subscribers, no Web Push key, the server's rate limit. */
const listedApp = (id: string, name: string, extra: object = {}) => ({
  id,
  name,
  allowedOrigins: [] as string[],
  restrictUrls: false,
  rateLimitPerMinute: null as number | null,
  defaultRateLimitPerMinute: 6000,
  createdAt: new Date().toISOString(),
  secretRotatedAt: null,
  previousSecretValidUntil: null,
  keys: 1,
  subscribers: 0,
  vapidPublicKey: null as string | null,
  vapidRotatedAt: null as string | null,
  pushSubscriptions: 0,
  ...extra,
});

describe('dashboard components', () => {
  it('herald-sign-in shows the server’s sentence and signs in on success', async () => {
    let attempts = 0;
    const page = await dashboard({
      'GET /admin/api/session': { signedIn: false },
      'POST /admin/api/session': () =>
        ++attempts === 1
          ? [401, { code: 'HERALD_ERR_SIGN_IN_FAILED', message: 'The email or password is wrong.' }]
          : { email: 'o@example.com', role: 'owner' },
      'GET /admin/api/apps': [],
    });
    await page.getByLabel('Email').fill('o@example.com');
    await page.getByLabel('Password').fill('x');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('The email or password is wrong.');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Dashboard' }).waitFor();
    await page.context().close();
  });

  it('herald-composer mirrors the draft in the preview, builds the request, and links to the result', async () => {
    let sent: unknown;
    const page = await dashboard(
      {
        ...owner,
        'GET /admin/api/apps': [{ id: 'shop', name: 'Shop', allowedOrigins: ['https://shop.example'] }],
        'POST /admin/api/notifications': (_r: Route, body: unknown) => {
          sent = body;
          return [202, { id: '11111111-1111-4111-8111-111111111111', status: 'queued', recipients: 3 }];
        },
      },
      '#/compose',
    );
    await page.getByLabel('several users').check();
    await page.getByLabel(/User ids/).fill('a, b c');
    await page.getByLabel('Title').fill('Sale starts');
    await expect.poll(() => page.locator('[data-preview] b').textContent()).toBe('Sale starts');
    // Headed by the site the popup comes from (the app's), not the dashboard's host.
    expect(await page.locator('[data-preview] [data-site]').textContent()).toBe('shop.example');
    await page.getByLabel('Priority').selectOption('high');
    // A path on the integrator's own site is a click URL the API takes: the form takes it too.
    await page.getByLabel('Open on click').fill('/orders/7');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toMatch(/3 recipient/);
    expect(sent).toEqual({
      appId: 'shop',
      to: { userIds: ['a', 'b', 'c'] },
      title: 'Sale starts',
      priority: 'high',
      url: '/orders/7',
    });
    expect(await page.getByRole('link', { name: 'See what happens to it' }).getAttribute('href')).toBe(
      '#/notifications/11111111-1111-4111-8111-111111111111',
    );
    await page.context().close();
  });

  it('herald-composer clears what a sent notification said, keeps the app and the audience, and links to it', async () => {
    const sent: unknown[] = [];
    const page = await dashboard(
      {
        ...owner,
        'GET /admin/api/apps': [listedApp('shop', 'Shop'), listedApp('blog', 'Blog')],
        'GET /admin/api/apps/shop/categories': { categories: [] },
        'GET /admin/api/apps/blog/categories': { categories: [] },
        'POST /admin/api/notifications': (_r: Route, body: unknown) => {
          sent.push(body);
          return [202, { id: '22222222-2222-4222-8222-222222222222', status: 'queued', recipients: 1 }];
        },
      },
      '#/compose',
    );
    const app = page.getByRole('combobox', { name: /^App/ });
    await expect.poll(() => app.locator('option').count()).toBe(2);
    await app.selectOption('blog');
    await page.getByLabel('User id').fill('amy');
    await page.getByLabel('Title').fill('New post');
    await page.getByLabel('Body').fill('Read it now');
    await page.getByLabel('Icon URL').fill('https://blog.example/icon.png');
    await page.getByLabel('Open on click').fill('https://blog.example/post');
    await page.getByLabel('Priority').selectOption('high');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toMatch(/1 recipient/);
    expect(await page.getByRole('link', { name: 'See what happens to it' }).getAttribute('href')).toBe(
      '#/notifications/22222222-2222-4222-8222-222222222222',
    );
    expect(sent).toEqual([
      {
        appId: 'blog',
        to: { userId: 'amy' },
        title: 'New post',
        body: 'Read it now',
        icon: 'https://blog.example/icon.png',
        url: 'https://blog.example/post',
        priority: 'high',
      },
    ]);
    // What it said is gone, and so is its preview; to whom, from which app and how stay.
    for (const field of ['Title', 'Body', 'Icon URL', 'Open on click'])
      expect([field, await page.getByLabel(field).inputValue()]).toEqual([field, '']);
    expect(await page.locator('[data-preview] b').textContent()).toBe('Your title');
    expect(await app.inputValue()).toBe('blog');
    expect(await page.getByLabel('User id').inputValue()).toBe('amy');
    expect(await page.getByLabel('Priority').inputValue()).toBe('high');
    // Send again: the form asks for a title instead of sending the same one twice.
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    expect(await page.getByLabel('Title').evaluate((e) => (e as HTMLInputElement).validity.valueMissing)).toBe(true);
    expect(sent).toHaveLength(1);
    await page.context().close();
  });

  it('herald-composer says a topic send’s audience and sends it only once the admin confirmed that number', async () => {
    const sent: unknown[] = [];
    let looks = 0;
    const page = await dashboard(
      {
        ...owner,
        'GET /admin/api/apps': [{ id: 'shop', name: 'Shop' }],
        // Six users join the topics after the admin's second look.
        'GET /admin/api/apps/shop/audience': () => ({ recipients: ++looks > 2 ? 1240 : 1234, confirmAbove: 100 }),
        'POST /admin/api/notifications': (_r: Route, body: unknown) => {
          sent.push(body);
          const audience = looks > 1 ? 1240 : 1234;
          return (body as { confirmRecipients?: number }).confirmRecipients === audience
            ? [202, { id: '11111111-1111-4111-8111-111111111111', status: 'queued', recipients: audience }]
            : [409, { code: 'HERALD_ERR_CONFIRMATION_REQUIRED', message: `This send reaches ${audience} users, …` }];
        },
      },
      '#/compose',
    );
    await page.getByLabel('topics', { exact: true }).check();
    await page.getByLabel(/Topics/).fill('news, sport news');
    await page.getByLabel('Title').fill('Big news');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Confirm the audience' });
    await expect.poll(() => dialog.textContent()).toMatch(/This reaches 1,234 users/);
    expect(sent).toHaveLength(1);
    // An edit while the number waits for its confirmation: what was confirmed is no longer what
    // the form says, so the confirmation goes, and Send asks again for the edited send.
    await page.getByLabel('Title').fill('Bigger news');
    await expect.poll(() => dialog.count()).toBe(0);
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await expect.poll(() => dialog.textContent()).toMatch(/This reaches 1,234 users/);
    expect(sent).toHaveLength(2);
    // Meanwhile the audience grew: the server asks again, and the dialog says it moved.
    await dialog.getByRole('button', { name: 'Send to 1,234 users' }).click();
    await expect
      .poll(() => dialog.textContent())
      .toMatch(/This reaches 1,240 users\. The audience changed since you confirmed 1,234\./);
    await dialog.getByRole('button', { name: 'Send to 1,240 users' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toMatch(/1240 recipient/);
    expect(sent[3]).toEqual({
      appId: 'shop',
      to: { topics: ['news', 'sport'] },
      title: 'Bigger news',
      priority: 'normal',
      confirmRecipients: 1240,
    });
    await page.context().close();
  });

  it('herald-composer offers the picked app’s categories and sends the one chosen', async () => {
    const sent: unknown[] = [];
    const category = (key: string, name: string) => ({
      key,
      name,
      description: null,
      defaultMode: 'popup',
      required: false,
      createdAt: new Date().toISOString(),
    });
    const page = await dashboard(
      {
        ...owner,
        'GET /admin/api/apps': [
          { id: 'shop', name: 'Shop' },
          { id: 'blog', name: 'Blog' },
        ],
        'GET /admin/api/apps/shop/categories': { categories: [category('orders', 'Your orders')] },
        'GET /admin/api/apps/blog/categories': {
          categories: [category('digest', 'Weekly digest'), category('replies', 'Replies')],
        },
        'POST /admin/api/notifications': (_r: Route, body: unknown) => {
          sent.push(body);
          return [202, { id: '11111111-1111-4111-8111-111111111111', status: 'queued', recipients: 1 }];
        },
      },
      '#/compose',
    );
    const options = () =>
      page
        .getByLabel(/Category/)
        .locator('option')
        .allTextContents();
    await expect.poll(options).toEqual(['None', 'Your orders (orders; default popup)']);
    await page.getByRole('combobox', { name: /^App/ }).selectOption('blog');
    await expect
      .poll(options)
      .toEqual(['None', 'Weekly digest (digest; default popup)', 'Replies (replies; default popup)']);
    await page.getByLabel(/Category/).selectOption('replies');
    await page.getByLabel('User id').fill('amy');
    await page.getByLabel('Title').fill('Bob replied');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await expect.poll(() => sent).toHaveLength(1);
    expect(sent[0]).toEqual({
      appId: 'blog',
      to: { userId: 'amy' },
      title: 'Bob replied',
      priority: 'normal',
      category: 'replies',
    });
    await page.context().close();
  });

  it('herald-composer tells a viewer why there is no form', async () => {
    const page = await dashboard(
      { 'GET /admin/api/session': { signedIn: true, email: 'v@example.com', role: 'viewer' } },
      '#/compose',
    );
    await expect.poll(() => page.getByRole('note').textContent()).toMatch(/viewer/);
    expect(await page.locator('herald-composer form').count()).toBe(0);
    await page.context().close();
  });

  it('herald-notification-detail draws the funnel of who reached each step, and says whom it was for', async () => {
    const id = '22222222-2222-4222-8222-222222222222';
    let cancels = 0;
    const page = await dashboard(
      {
        ...owner,
        [`GET /admin/api/notifications/${id}`]: {
          id,
          appId: 'default',
          status: 'dispatched',
          title: 'Funnel',
          body: null,
          url: '/orders/7',
          data: { orderId: 7 },
          priority: 'normal',
          to: { broadcast: true },
          createdAt: new Date().toISOString(),
          sendAt: null,
          expiresAt: null,
          dispatchedAt: null,
          failureReason: null,
          recipients: 10,
          countsExact: true,
          counts: {
            queued: 2,
            sent: 1,
            delivered: 3,
            displayed: 1,
            clicked: 1,
            read: 2,
            expired: 0,
            failed: 0,
            cancelled: 0,
          },
          push: noPush,
          // Who reached each step: one read after a click, one read in the inbox with no popup.
          funnel: { delivered: 7, displayed: 3, clicked: 2, read: 2 },
        },
        [`GET /admin/api/notifications/${id}/recipients`]: { items: [], nextCursor: null },
        [`POST /admin/api/notifications/${id}/cancel`]: () => {
          cancels++;
          return { id, status: 'cancelled' };
        },
      },
      `#/notifications/${id}`,
    );
    const value = (step: string) => page.locator(`[data-step=${step}] b`).textContent();
    await expect.poll(() => value('recipients')).toBe('10');
    // Who reached each step, from the funnel (a click then read is a click; the statuses now say 1).
    expect(await value('delivered')).toBe('7');
    expect(await value('displayed')).toBe('3');
    expect(await value('clicked')).toBe('2');
    expect(await value('read')).toBe('2');
    expect(await page.locator('[data-target]').textContent()).toBe('everyone');
    // Its status is the send's, and says so: who had it is in the counts.
    expect(await page.locator('[data-status]').getAttribute('title')).toBe(
      "Went out to every recipient's open devices: who had it is in its counts",
    );
    // What a click opens and the data it carries, as sent.
    expect(await page.locator('[data-url]').textContent()).toBe('/orders/7');
    expect(await page.locator('[data-data]').textContent()).toBe('{"orderId":7}');
    // It went out, but 3 deliveries (2 queued, 1 sent without an ack) have not been received yet.
    expect(await page.getByRole('button', { name: /Cancel/ }).textContent()).toBe(
      'Cancel the 3 deliveries not received yet',
    );
    // Cancelled only once the admin confirmed it.
    const asked: string[] = [];
    page.once('dialog', (d) => {
      asked.push(d.message());
      void d.dismiss();
    });
    await page.getByRole('button', { name: /Cancel/ }).click();
    await expect
      .poll(() => asked)
      .toEqual([expect.stringMatching(/^Cancel it\? Whoever has not received it yet never will/)]);
    expect(cancels).toBe(0);
    await page.context().close();
  });

  it('herald-notification-detail counts the deliveries preferences skipped, and says why on each one', async () => {
    const id = '33333333-3333-4333-8333-333333333333';
    const at = new Date().toISOString();
    const detail = (skipped: number, countsExact = true) => ({
      id,
      appId: 'shop',
      status: 'dispatched',
      title: 'Weekend sale',
      body: null,
      url: null,
      priority: 'normal',
      to: { userIds: ['amy', 'bob'] },
      createdAt: at,
      sendAt: null,
      expiresAt: null,
      dispatchedAt: at,
      failureReason: null,
      recipients: 2,
      countsExact,
      counts: {
        queued: 0,
        sent: 0,
        delivered: 1,
        displayed: 0,
        clicked: 0,
        read: 0,
        expired: 0,
        failed: 0,
        cancelled: 0,
        skipped,
      },
      push: noPush,
      funnel: { delivered: 1, displayed: 0, clicked: 0, read: 0 },
    });
    const row = (userId: string, status: string, reason: string | null) => ({
      userId,
      seq: 1,
      status,
      reason,
      queuedAt: at,
      sentAt: null,
      deliveredAt: status === 'delivered' ? at : null,
      displayedAt: null,
      clickedAt: null,
      readAt: null,
      expiredAt: null,
      failedAt: null,
      push: [],
    });
    const recipients = `GET /admin/api/notifications/${id}/recipients`;
    const page = await dashboard(
      {
        ...owner,
        [`GET /admin/api/notifications/${id}`]: detail(1),
        [recipients]: {
          items: [row('amy', 'delivered', null), row('bob', 'skipped', 'category "marketing" is off')],
          nextCursor: null,
        },
      },
      `#/notifications/${id}`,
    );
    await expect
      .poll(() => page.locator('[data-count=skipped]').textContent())
      .toMatch(/^1 skipped: their preferences turn it off, .*follows them as they are now, until a device has it\)\.$/);
    expect(await page.locator('tr[data-user=bob] .pill').textContent()).toBe('skipped');
    expect(await page.locator('tr[data-user=bob] [data-reason]').textContent()).toBe('category "marketing" is off');
    expect(await page.locator('tr[data-user=amy] [data-reason]').count()).toBe(0);
    await page.context().close();

    // None skipped: no line for them.
    const none = await dashboard(
      {
        ...owner,
        [`GET /admin/api/notifications/${id}`]: detail(0),
        [recipients]: { items: [row('amy', 'delivered', null)], nextCursor: null },
      },
      `#/notifications/${id}`,
    );
    await none.locator('tr[data-user=amy]').waitFor();
    expect(await none.locator('[data-count=skipped]').count()).toBe(0);
    expect(await none.locator('[data-count=inexact]').count()).toBe(0);
    await none.context().close();

    // A topic send too large to count member by member: the page says its counts are not exact.
    const crowd = await dashboard(
      {
        ...owner,
        [`GET /admin/api/notifications/${id}`]: detail(0, false),
        [recipients]: { items: [row('amy', 'delivered', null)], nextCursor: null },
      },
      `#/notifications/${id}`,
    );
    await expect.poll(() => crowd.locator('[data-count=inexact]').textContent()).toMatch(/more than 20,000 recipients/);
    await crowd.context().close();
  });

  it('herald-notification-detail shows the Web Push funnel by browser, and each recipient’s browsers with every attempt', async () => {
    const id = '55555555-5555-4555-8555-555555555555';
    const at = new Date().toISOString();
    const detail = (push: typeof noPush) => ({
      id,
      appId: 'shop',
      status: 'dispatched',
      title: 'Build finished',
      body: null,
      url: null,
      priority: 'normal',
      to: { userIds: ['amy', 'bob', 'cat'] },
      createdAt: at,
      sendAt: null,
      expiresAt: null,
      dispatchedAt: at,
      failureReason: null,
      recipients: 3,
      countsExact: true,
      counts: {
        queued: 0,
        sent: 2,
        delivered: 1,
        displayed: 0,
        clicked: 0,
        read: 0,
        expired: 0,
        failed: 0,
        cancelled: 0,
      },
      push,
      funnel: { delivered: 1, displayed: 0, clicked: 0, read: 0 },
    });
    const row = (userId: string, push: unknown[]) => ({
      userId,
      seq: 1,
      status: 'sent',
      reason: null,
      queuedAt: at,
      sentAt: at,
      deliveredAt: null,
      displayedAt: null,
      clickedAt: null,
      readAt: null,
      expiredAt: null,
      failedAt: null,
      push,
    });
    const browser = (browser: string, status: string, attempts: unknown[], extra: object = {}) => ({
      browser,
      status,
      attempts,
      trimmed: [],
      sentAt: null,
      displayedAt: null,
      clickedAt: null,
      closedAt: null,
      ...extra,
    });
    const recipients = `GET /admin/api/notifications/${id}/recipients`;
    const page = await dashboard(
      {
        ...owner,
        [`GET /admin/api/notifications/${id}`]: detail({
          socket: 2,
          posted: 4,
          skipped: 1,
          accepted: 3,
          displayed: 2,
          clicked: 1,
          failed: 1,
        }),
        [recipients]: {
          items: [
            row('amy', [
              browser(
                'b-amy-laptop-0001',
                'sent',
                [
                  { at, status: 503, outcome: 'retry', detail: 'Service Unavailable' },
                  { at, status: 201, outcome: 'sent' },
                ],
                { sentAt: at, displayedAt: at, trimmed: ['data'] },
              ),
              browser('b-amy-phone-00002', 'socket', []),
            ]),
            row('bob', [
              browser('b-bob-old-000003', 'gone', [{ at, status: 410, outcome: 'gone', detail: 'expired' }]),
            ]),
            row('cat', []),
          ],
          nextCursor: null,
        },
      },
      `#/notifications/${id}`,
    );
    const step = (name: string) => page.locator(`herald-notification-detail [data-push-step=${name}] b`).textContent();
    await expect.poll(() => step('posted')).toBe('4');
    expect(await step('accepted')).toBe('3');
    expect(await step('displayed')).toBe('2');
    expect(await step('clicked')).toBe('1');
    // The delivery funnel is still there, beside it, with its own numbers.
    expect(await page.locator('[data-step=displayed] b').textContent()).toBe('0');
    expect(await page.locator('[data-push-count=socket]').textContent()).toBe(
      '2 browsers had it on a socket (a tab acknowledged it): no push.',
    );
    expect(await page.locator('[data-push-count=failed]').textContent()).toMatch(/^1 browser failed:/);
    expect(await page.locator('[data-push-count=skipped]').textContent()).toBe(
      '1 browser not posted to: the user’s preferences (off, inbox only, quiet hours) or too old to pop up.',
    );

    // Each recipient: a line of statuses; the browsers' stories open on a click.
    const amy = page.locator('tr[data-user=amy] [data-push]');
    expect(await amy.locator('summary').textContent()).toMatch(/^sent\s+socket\s+2 browsers, 2 attempts$/);
    expect(await amy.locator('[data-attempt]').first().isVisible()).toBe(false);
    await amy.locator('summary').click();
    const laptop = amy.locator('[data-browser=b-amy-laptop-0001]');
    await laptop.locator('[data-attempt]').first().waitFor();
    const cells = (tr: Locator) => tr.locator('td').allTextContents();
    const attempts = laptop.locator('[data-attempt]');
    expect(await cells(attempts.nth(0))).toEqual([
      expect.stringMatching(/s ago$/),
      '503',
      'retry',
      'Service Unavailable',
    ]);
    expect(await cells(attempts.nth(1))).toEqual([expect.stringMatching(/s ago$/), '201', 'sent', '']);
    expect(await laptop.locator('[data-times]').textContent()).toMatch(/^sent \d+s ago · displayed \d+s ago$/);
    expect(await laptop.locator('[data-trimmed]').textContent()).toBe('Trimmed to fit 4 KB: data.');
    expect(await amy.locator('[data-browser=b-amy-phone-00002]').textContent()).toMatch(
      /browser b-amy-ph: socket\s+a tab had it on the socket: no push/,
    );
    expect(await amy.locator('[data-browser=b-amy-phone-00002] [data-attempt]').count()).toBe(0);
    const bob = page.locator('tr[data-user=bob] [data-push]');
    await bob.locator('summary').click();
    expect(await cells(bob.locator('[data-attempt]'))).toEqual([
      expect.stringMatching(/s ago$/),
      '410',
      'gone',
      'expired',
    ]);
    expect(await bob.textContent()).toMatch(/no longer knows this browser \(404\/410\)/);
    // No browser: no disclosure.
    expect(await page.locator('tr[data-user=cat] [data-push]').count()).toBe(0);
    expect(await page.locator('tr[data-user=cat] td').last().textContent()).toBe('—');
    await page.context().close();

    // No recipient with a browser: a sentence, no funnel of zeros.
    const none = await dashboard(
      {
        ...owner,
        [`GET /admin/api/notifications/${id}`]: detail(noPush),
        [recipients]: { items: [row('cat', [])], nextCursor: null },
      },
      `#/notifications/${id}`,
    );
    await expect.poll(() => none.locator('[data-push-none]').textContent()).toMatch(/^Nothing went by Web Push/);
    expect(await none.locator('[data-push-step]').count()).toBe(0);
    await none.context().close();
  });

  it('herald-apps shows a new key once, then hides it', async () => {
    const page = await dashboard(
      {
        ...owner,
        'GET /admin/api/apps': [listedApp('default', 'Default')],
        'GET /admin/api/apps/default/keys': [],
        'POST /admin/api/apps/default/keys': [
          201,
          {
            key: {
              id: 'k',
              name: 'ci',
              prefix: 'hk_abcdefg',
              createdAt: new Date().toISOString(),
              lastUsedAt: null,
              revokedAt: null,
            },
            secret: 'hk_abcdefg_secret',
          },
        ],
      },
      '#/apps',
    );
    await expect.poll(() => page.locator('herald-apps .empty').first().textContent()).toBe('No keys.');
    await page.getByLabel('Key name').fill('ci');
    await page.getByRole('button', { name: 'Create API key' }).click();
    await expect.poll(() => page.locator('[data-secret]').textContent()).toBe('hk_abcdefg_secret');
    // Copied with a click, as the push key is.
    await page.evaluate(() => {
      navigator.clipboard.writeText = async (text: string) => {
        (window as unknown as { copied: string }).copied = text;
      };
    });
    await page.getByRole('button', { name: 'Copy the API key' }).click();
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { copied?: string }).copied))
      .toBe('hk_abcdefg_secret');
    expect(await page.getByRole('button', { name: 'Copy the API key' }).textContent()).toBe('Copied');
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.locator('[data-secret]').count()).toBe(0);
    await page.context().close();
  });

  it("herald-apps saves an app's rate limit, and an empty field returns it to the server's default", async () => {
    const app = listedApp('shop', 'Shop');
    const patches: unknown[] = [];
    const page = await dashboard(
      {
        ...owner,
        'GET /admin/api/apps': () => [app],
        'GET /admin/api/apps/shop/keys': [],
        'PATCH /admin/api/apps/shop': (_r: Route, body: { rateLimitPerMinute: number | null }) => {
          patches.push(body);
          app.rateLimitPerMinute = body.rateLimitPerMinute;
          return app;
        },
      },
      '#/apps',
    );
    const field = page.getByLabel(/Rate limit, requests a minute per API key/);
    await expect.poll(() => field.getAttribute('placeholder')).toBe('6000');
    expect(await field.inputValue()).toBe('');
    await field.fill('120');
    await page.getByRole('button', { name: 'Save rate limit' }).click();
    await expect.poll(() => patches).toEqual([{ rateLimitPerMinute: 120 }]);
    await expect.poll(() => field.inputValue()).toBe('120');
    await field.fill('');
    await page.getByRole('button', { name: 'Save rate limit' }).click();
    await expect.poll(() => patches).toEqual([{ rateLimitPerMinute: 120 }, { rateLimitPerMinute: null }]);
    await page.context().close();

    // A viewer reads it instead.
    const viewer = await dashboard(
      {
        'GET /admin/api/session': { signedIn: true, email: 'v@example.com', role: 'viewer' },
        'GET /admin/api/apps': [{ ...app, rateLimitPerMinute: 0 }],
        'GET /admin/api/apps/shop/keys': [],
      },
      '#/apps',
    );
    await expect.poll(() => viewer.locator('[data-rate-limit]').textContent()).toBe('Rate limit: no limit');
    await viewer.context().close();
  });

  it('herald-apps makes one change at a time (a double click creates one key) and says how a save went in its app’s card', async () => {
    const app = listedApp('shop', 'Shop');
    const created: unknown[] = [];
    const patches: Array<{ allowedOrigins: string[] }> = [];
    const page = await dashboard(
      {
        ...owner,
        'GET /admin/api/apps': () => [app],
        'GET /admin/api/apps/shop/keys': [],
        'POST /admin/api/apps/shop/keys': async (_r: Route, body: unknown) => {
          created.push(body);
          await new Promise((r) => setTimeout(r, 300)); // still on its way at the second click
          return { id: 'k1', name: 'CI', prefix: 'hk_abc', secret: 'hk_abcdef', createdAt: new Date().toISOString() };
        },
        'PATCH /admin/api/apps/shop': (_r: Route, body: { allowedOrigins: string[] }) => {
          patches.push(body);
          if (body.allowedOrigins.some((o) => !o.startsWith('http'))) {
            return [400, { code: 'HERALD_ERR_VALIDATION', message: 'body.allowedOrigins/0 is not an origin' }];
          }
          app.allowedOrigins = body.allowedOrigins;
          return app;
        },
      },
      '#/apps',
    );
    const card = page.locator('[data-app=shop]');
    await card
      .getByLabel(/Key name|Name/)
      .first()
      .fill('CI');
    await card.getByRole('button', { name: 'Create API key' }).dblclick();
    await expect.poll(() => page.locator('[data-secret]').textContent()).toBe('hk_abcdef');
    await new Promise((r) => setTimeout(r, 500));
    expect(created).toHaveLength(1);

    // A pasted origin's trailing slash goes, and so does a repeat; the save is confirmed next to the form, as is a refusal.
    const origins = card.getByLabel(/origins/i).first();
    await origins.fill('https://shop.example.com/\nhttps://shop.example.com');
    await card.getByRole('button', { name: 'Save origins' }).click();
    await expect.poll(() => card.locator('[data-outcome]').textContent()).toBe('Allowed origins saved.');
    expect(patches[0]?.allowedOrigins).toEqual(['https://shop.example.com']);
    // One that is not an origin is named as typed (the API would number it in the cleaned list), and not sent.
    await origins.fill('https://shop.example.com\nftp://shop.example.com');
    await card.getByRole('button', { name: 'Save origins' }).click();
    await expect
      .poll(() => card.getByRole('alert').textContent())
      .toBe(
        '“ftp://shop.example.com” is not an origin: a scheme and a host (and port), with no path, like https://shop.example.com.',
      );
    expect(patches).toHaveLength(1);
    // A save the browser's own check stops (a rate limit below 0) sends nothing, and the card no
    // longer says how the last save went, as if it were this one's answer.
    await origins.fill('https://shop.example.com');
    await card.getByRole('button', { name: 'Save origins' }).click();
    await expect.poll(() => card.locator('[data-outcome]').textContent()).toBe('Allowed origins saved.');
    const limit = card.getByLabel(/Rate limit/);
    await limit.fill('-5');
    await card.getByRole('button', { name: 'Save rate limit' }).click();
    expect(await limit.evaluate((e) => (e as HTMLInputElement).validity.rangeUnderflow)).toBe(true);
    await expect.poll(() => card.locator('[data-outcome]').count()).toBe(0);
    expect(patches).toHaveLength(2);
    await page.context().close();
  });

  it('herald-apps says a refused new app next to its form, and stops an id the API would refuse before sending it', async () => {
    const posts: unknown[] = [];
    const page = await dashboard(
      {
        ...owner,
        'GET /admin/api/apps': [listedApp('shop', 'Shop')],
        'GET /admin/api/apps/shop/keys': [],
        'POST /admin/api/apps': (_r: Route, body: unknown) => {
          posts.push(body);
          return [409, { code: 'HERALD_ERR_APP_EXISTS', message: 'An app with id shop already exists.' }];
        },
      },
      '#/apps',
    );
    const card = page.locator('section', { has: page.getByRole('heading', { name: 'New app' }) });
    await card.getByLabel('Name').fill('Shop two');
    // Not an app id: the browser's check stops it (the pattern is one Chrome's v-mode reads).
    const id = card.getByLabel(/^Id/);
    await id.fill('Bad Id!');
    await card.getByRole('button', { name: 'Create app' }).click();
    expect(await id.evaluate((e) => (e as HTMLInputElement).validity.patternMismatch)).toBe(true);
    expect(posts).toEqual([]);
    // Taken: the server's sentence in the New app card, not at the top of the page.
    await id.fill('shop');
    await card.getByRole('button', { name: 'Create app' }).click();
    await expect.poll(() => card.getByRole('alert').textContent()).toBe('An app with id shop already exists.');
    expect(posts).toEqual([{ name: 'Shop two', id: 'shop' }]);
    expect(await page.locator('herald-apps > p[role=alert], h1 + p[role=alert]').count()).toBe(0);
    expect(await page.locator('[data-app=shop] [data-outcome]').count()).toBe(0);
    await page.context().close();
  });

  it('herald-apps shows an app’s Web Push key, copies it, and rotates it only once the admin confirmed what that costs', async () => {
    const oldKey = `B${'a'.repeat(70)}OLDKEY01`;
    const newKey = `B${'b'.repeat(70)}NEWKEY02`;
    const app = listedApp('shop', 'Shop', { subscribers: 4, vapidPublicKey: oldKey, pushSubscriptions: 3 });
    const rotations: unknown[] = [];
    const routes = {
      'GET /admin/api/apps': () => [app],
      'GET /admin/api/apps/shop/keys': [],
      'POST /admin/api/apps/shop/rotate-push-key': (_r: Route, body: unknown) => {
        rotations.push(body);
        Object.assign(app, { vapidPublicKey: newKey, vapidRotatedAt: new Date().toISOString(), pushSubscriptions: 0 });
        return { vapidPublicKey: newKey, marked: 3 };
      },
    };
    const page = await dashboard({ ...owner, ...routes }, '#/apps');
    const push = page.locator('herald-apps [data-app=shop] [data-push]');
    const key = push.locator('[data-push-key]');
    // Its start and end, the whole key on hover and in the clipboard.
    await expect.poll(() => key.textContent()).toBe(`B${'a'.repeat(15)}…OLDKEY01`);
    expect(await key.getAttribute('title')).toBe(oldKey);
    expect(await push.locator('[data-push-summary]').textContent()).toMatch(
      /^3 browsers subscribed ·\s+push key never rotated\s+·\s+Rotate push key$/,
    );
    await page.evaluate(() => {
      navigator.clipboard.writeText = async (text: string) => {
        (window as unknown as { copied: string }).copied = text;
      };
    });
    await push.getByRole('button', { name: 'Copy the Web Push public key of shop' }).click();
    await expect.poll(() => push.getByRole('status').textContent()).toBe('Copied.');
    expect(await page.evaluate(() => (window as unknown as { copied: string }).copied)).toBe(oldKey);
    // A browser that refuses the clipboard: the whole key, to select by hand.
    await page.evaluate(() => {
      navigator.clipboard.writeText = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));
    });
    await push.getByRole('button', { name: /^Copy/ }).click();
    await expect.poll(() => push.getByRole('status').textContent()).toMatch(`select the key: ${oldKey}`);

    // Rotate: first what it does, and nothing posted; Cancel leaves it.
    await push.getByRole('button', { name: 'Rotate push key' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Rotate the push key of shop' });
    expect(await dialog.textContent()).toMatch(
      /Every browser subscribed now\s+\(3 browsers\) must subscribe again: the SDK does it on its next connect \(at once where a tab is open\)\.\s+Until then it gets no push;/,
    );
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await dialog.count()).toBe(0);
    expect(rotations).toEqual([]);
    await push.getByRole('button', { name: 'Rotate push key' }).click();
    await dialog.getByRole('button', { name: 'Rotate push key' }).click();
    await expect
      .poll(() => push.locator('[data-push-rotated]').textContent())
      .toBe('New push key. 3 browsers must subscribe again; the SDK does it when each next connects.');
    expect(rotations).toHaveLength(1);
    // The list again, with the new key and when it was rotated.
    await expect.poll(() => key.getAttribute('title')).toBe(newKey);
    expect(await push.locator('[data-push-summary]').textContent()).toMatch(
      /^0 browsers subscribed ·\s+push key rotated \d+s ago/,
    );
    await page.context().close();

    // A viewer may read and copy the key, not rotate it.
    const reader = await dashboard(
      { 'GET /admin/api/session': { signedIn: true, email: 'v@example.com', role: 'viewer' }, ...routes },
      '#/apps',
    );
    const readerPush = reader.locator('herald-apps [data-app=shop] [data-push]');
    await expect.poll(() => readerPush.locator('[data-push-key]').getAttribute('title')).toBe(newKey);
    expect(await readerPush.getByRole('button', { name: /^Copy/ }).count()).toBe(1);
    expect(await reader.getByRole('button', { name: /Rotate push key/ }).count()).toBe(0);
    await reader.context().close();
  });

  it('herald-apps deletes an app once the admin confirmed what goes with it; never the default app, and not for a viewer', async () => {
    let apps = [listedApp('default', 'Default'), listedApp('shop', 'Shop', { subscribers: 1234 })];
    const deletes: string[] = [];
    let refuse = true;
    const page = await dashboard(
      {
        ...owner,
        'GET /admin/api/apps': () => apps,
        'GET /admin/api/apps/default/keys': [],
        'GET /admin/api/apps/shop/keys': [],
        'DELETE /admin/api/apps/shop': () => {
          deletes.push('shop');
          if (refuse) return [500, { code: 'HERALD_ERR_INTERNAL', message: 'Something went wrong on our side.' }];
          apps = apps.filter((a) => a.id !== 'shop');
          return { ok: true };
        },
      },
      '#/apps',
    );
    const shop = page.locator('herald-apps [data-app=shop]');
    await shop.waitFor();
    // The default app has no such button: every start makes it again.
    expect(
      await page.locator('herald-apps [data-app=default]').getByRole('button', { name: 'Delete app' }).count(),
    ).toBe(0);
    // Dismissed: nothing is sent.
    let asked = '';
    page.once('dialog', (d) => {
      asked = d.message();
      void d.dismiss();
    });
    await shop.getByRole('button', { name: 'Delete app' }).click();
    await expect.poll(() => asked).toMatch(/^Delete app shop \(Shop\) for good\? 1,234 subscribers, its API keys/);
    expect(deletes).toEqual([]);
    // Refused: said in its card, which stays.
    page.once('dialog', (d) => void d.accept());
    await shop.getByRole('button', { name: 'Delete app' }).click();
    await expect.poll(() => shop.locator('[data-outcome]').textContent()).toBe('Something went wrong on our side.');
    // Deleted: its card goes, and the page says so.
    refuse = false;
    page.once('dialog', (d) => void d.accept());
    await shop.getByRole('button', { name: 'Delete app' }).click();
    await expect.poll(() => page.locator('herald-apps [data-deleted]').textContent()).toBe('App shop (Shop) deleted.');
    await expect.poll(() => shop.count()).toBe(0);
    expect(deletes).toEqual(['shop', 'shop']);
    await page.context().close();

    const viewer = await dashboard(
      {
        'GET /admin/api/session': { signedIn: true, email: 'v@example.com', role: 'viewer' },
        'GET /admin/api/apps': [listedApp('shop', 'Shop')],
        'GET /admin/api/apps/shop/keys': [],
      },
      '#/apps',
    );
    await viewer.locator('herald-apps [data-app=shop]').waitFor();
    expect(await viewer.getByRole('button', { name: 'Delete app' }).count()).toBe(0);
    await viewer.context().close();
  });

  it('herald-apps says when an app has no Web Push key yet', async () => {
    const page = await dashboard(
      {
        ...owner,
        'GET /admin/api/apps': [listedApp('old', 'Old', { keys: 0 })],
        'GET /admin/api/apps/old/keys': [],
      },
      '#/apps',
    );
    const push = page.locator('herald-apps [data-app=old] [data-push]');
    await expect.poll(() => push.locator('p').first().textContent()).toMatch(/^No push key yet: Herald makes one/);
    expect(await push.locator('[data-push-key]').count()).toBe(0);
    expect(await push.locator('[data-push-summary]').textContent()).toMatch(/^0 browsers subscribed/);
    await page.context().close();
  });

  it('herald-audit shows what each action recorded: fields, values as JSON, long ones cut with the whole in a tooltip', async () => {
    const at = new Date().toISOString();
    const entry = (id: string, action: string, details: unknown) => ({
      id,
      at,
      actor: 'o@example.com',
      action,
      targetType: 'app',
      targetId: 'shop',
      details,
      ip: '127.0.0.1',
    });
    const long = 'x'.repeat(200);
    const page = await dashboard(
      {
        ...owner,
        'GET /admin/api/audit': {
          items: [
            entry('1', 'app.update', { allowedOrigins: ['https://shop.example'], rateLimitPerMinute: 60 }),
            entry('2', 'notification.send', { to: { userId: 'alice' }, title: long }),
            entry('3', 'admin.sign_in', null),
          ],
          nextCursor: null,
        },
      },
      '#/audit',
    );
    const details = (action: string) => page.locator(`herald-audit tr[data-action="${action}"] td.details`);
    const pairs = (action: string) => details(action).locator('div').allTextContents();
    await expect
      .poll(() => pairs('app.update'))
      .toEqual(['allowedOrigins: ["https://shop.example"]', 'rateLimitPerMinute: 60']);
    expect(await pairs('notification.send')).toEqual(['to: {"userId":"alice"}', `title: ${'x'.repeat(80)}…`]);
    expect(await details('notification.send').locator('div').nth(1).getAttribute('title')).toBe(long);
    expect(await details('admin.sign_in').textContent()).toBe('—');
    await page.context().close();
  });

  it('herald-queue lists the delayed jobs due soonest: a scheduled send, and a retry with why its attempt failed', async () => {
    const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();
    const page = await dashboard(
      {
        ...owner,
        'GET /admin/api/queue': {
          counts: { waiting: 0, prioritized: 0, active: 0, delayed: 60, failed: 0, completed: 3 },
          failed: [],
          delayed: [
            {
              id: 'retry-1',
              name: 'dispatch',
              notificationId: '11111111-2222-3333-4444-555555555555',
              dueAt: inMinutes(2),
              attemptsMade: 2,
              lastFailure: 'Redis did not answer',
            },
            {
              id: 'aaaaaaaa-2222-3333-4444-555555555555',
              name: 'dispatch',
              notificationId: 'aaaaaaaa-2222-3333-4444-555555555555',
              dueAt: inMinutes(125),
              attemptsMade: 0,
              lastFailure: null,
            },
          ],
        },
      },
      '#/queue',
    );
    const row = (id: string) => page.locator(`herald-queue tr[data-job="${id}"]`);
    await expect
      .poll(() => row('retry-1').locator('td').allTextContents())
      .toEqual(['11111111…', 'retry after attempt 2: Redis did not answer', 'in 2 min']);
    expect(await row('aaaaaaaa-2222-3333-4444-555555555555').locator('td').allTextContents()).toEqual([
      'aaaaaaaa…',
      'scheduled send',
      'in 2 h',
    ]);
    expect(await row('retry-1').locator('a').getAttribute('href')).toBe(
      '#/notifications/11111111-2222-3333-4444-555555555555',
    );
    // 60 delayed in all: the page says these are the soonest of them.
    await expect
      .poll(() =>
        page
          .locator('herald-queue')
          .getByText(/due soonest of/)
          .textContent(),
      )
      .toMatch(/The 2 due soonest of \d+\./);
    await page.context().close();
  });

  it('herald-subscribers explains an empty result', async () => {
    const page = await dashboard(
      { ...owner, 'GET /admin/api/subscribers': { items: [], nextCursor: null } },
      '#/subscribers',
    );
    await expect.poll(() => page.locator('herald-subscribers .empty').textContent()).toMatch(/No subscribers yet/);
    await page.context().close();
  });

  it('herald-subscribers loads the next page with More (once, however often it is clicked), from the cursor of the last, until there is none', async () => {
    const sub = (userId: string, appId = 'shop') => ({
      id: `s-${appId}-${userId}`,
      appId,
      userId,
      online: false,
      lastSeq: 0,
      notifications: { count: 0, more: false },
      createdAt: new Date().toISOString(),
      lastSeenAt: null,
    });
    const cursors: Array<string | null> = [];
    const page = await dashboard(
      {
        ...owner,
        'GET /admin/api/subscribers': (route: Route) => {
          const cursor = new URL(route.request().url()).searchParams.get('cursor');
          cursors.push(cursor);
          return cursor === null
            ? { items: [sub('amy'), sub('amy', 'blog')], nextCursor: 'after-amy-blog' }
            : { items: [sub('bob')], nextCursor: null };
        },
      },
      '#/subscribers',
    );
    await expect.poll(() => page.locator('herald-subscribers tr[data-user]').count()).toBe(2);
    // A double click asks for the next page once.
    await page.getByRole('button', { name: 'More' }).dblclick();
    await expect
      .poll(() => page.locator('herald-subscribers tr[data-user] td:first-child').allTextContents())
      .toEqual(['amy', 'amy', 'bob']);
    expect(cursors).toEqual([null, 'after-amy-blog']);
    // The last page said there is no more.
    expect(await page.getByRole('button', { name: 'More' }).count()).toBe(0);
    await page.context().close();
  });

  it('herald-subscribers counts each user’s notifications, topic sends and broadcasts included, and says where counting stopped', async () => {
    const listed = (userId: string, lastSeq: number, notifications: { count: number; more: boolean }) => ({
      id: `id-${userId}`,
      appId: 'shop',
      userId,
      online: false,
      lastSeq,
      notifications,
      createdAt: new Date().toISOString(),
      lastSeenAt: null,
    });
    const page = await dashboard(
      {
        ...owner,
        'GET /admin/api/subscribers': {
          items: [listed('amy', 2, { count: 12, more: false }), listed('bob', 3, { count: 1000, more: true })],
          nextCursor: null,
        },
      },
      '#/subscribers',
    );
    const cell = (user: string) => page.locator(`herald-subscribers tr[data-user=${user}] [data-notifications]`);
    await expect.poll(() => cell('amy').textContent()).toBe('12');
    expect(await cell('bob').textContent()).toBe('1,000+');
    await page.context().close();
  });

  it('herald-subscribers shows a user’s preferences: category and topic modes, quiet hours', async () => {
    const id = '44444444-4444-4444-8444-444444444444';
    const subscriber = (preferences: unknown) => ({
      id,
      appId: 'shop',
      userId: 'amy',
      online: false,
      lastSeq: 0,
      notifications: { count: 0, more: false },
      createdAt: new Date().toISOString(),
      lastSeenAt: null,
      unread: 0,
      inbox: [],
      history: [],
      preferences,
      browsers: [],
    });
    const page = await dashboard(
      {
        ...owner,
        [`GET /admin/api/subscribers/${id}`]: subscriber({
          categories: { orders: 'popup', marketing: 'off' },
          topics: { 'team/alpha': 'inbox' },
          quietHours: { start: '22:00', end: '07:00', timeZone: 'Europe/Paris' },
        }),
      },
      `#/subscribers/${id}`,
    );
    const prefs = page.locator('herald-subscribers [data-preferences]');
    await expect
      .poll(() => prefs.locator('[data-quiet-hours]').textContent())
      .toMatch(/^Quiet hours: 22:00 to 07:00 \(the next day\), Europe\/Paris:/);
    const rows = (kind: string) =>
      prefs
        .locator(`[data-choices=${kind}] tbody tr`)
        .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim())));
    expect(await rows('category')).toEqual([
      ['marketing', 'off'],
      ['orders', 'popup'],
    ]);
    expect(await rows('topic')).toEqual([['team/alpha', 'inbox']]);
    // Read-only: nothing to change them with.
    expect(await prefs.locator('button, input, select').count()).toBe(0);
    await page.context().close();

    const none = await dashboard(
      {
        ...owner,
        [`GET /admin/api/subscribers/${id}`]: subscriber({ categories: {}, topics: {}, quietHours: null }),
      },
      `#/subscribers/${id}`,
    );
    const empty = none.locator('herald-subscribers [data-preferences]');
    await expect.poll(() => empty.locator('[data-quiet-hours]').textContent()).toBe('Quiet hours: none');
    expect(await empty.locator('[data-choices=category]').textContent()).toMatch(/No choice for any category/);
    expect(await empty.locator('[data-choices=topic]').textContent()).toMatch(/No choice for any topic/);
    await none.context().close();
  });

  it('herald-subscribers lists a user’s Web Push browsers: which browser, push service, origin, status and what happened last', async () => {
    const id = '66666666-6666-4666-8666-666666666666';
    const at = new Date().toISOString();
    const chrome =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
    const odd = `SomeKiosk/2.0 (embedded; ${'x'.repeat(80)})`;
    const subscriber = (browsers: unknown[]) => ({
      id,
      appId: 'shop',
      userId: 'amy',
      online: false,
      lastSeq: 0,
      notifications: { count: 0, more: false },
      createdAt: at,
      lastSeenAt: null,
      unread: 0,
      inbox: [],
      history: [],
      preferences: { categories: {}, topics: {}, quietHours: null },
      browsers,
    });
    const page = await dashboard(
      {
        ...owner,
        [`GET /admin/api/subscribers/${id}`]: subscriber([
          {
            id: 'b1',
            status: 'active',
            pushService: 'fcm.googleapis.com',
            userAgent: chrome,
            origin: 'https://shop.example.com',
            createdAt: at,
            updatedAt: at,
            lastSuccessAt: at,
            lastError: null,
          },
          {
            id: 'b2',
            status: 'resubscribe',
            pushService: 'updates.push.services.mozilla.com',
            userAgent: odd,
            origin: null,
            createdAt: at,
            updatedAt: at,
            lastSuccessAt: null,
            lastError: 'HTTP 403',
          },
          {
            id: 'b3',
            status: 'active',
            pushService: 'web.push.apple.com',
            userAgent: null,
            origin: 'https://shop.example.com',
            createdAt: at,
            updatedAt: at,
            lastSuccessAt: null,
            lastError: null,
          },
        ]),
      },
      `#/subscribers/${id}`,
    );
    const row = (b: string) => page.locator(`herald-subscribers [data-browsers] tr[data-browser=${b}] td`);
    await expect.poll(() => row('b1').count()).toBe(7);
    expect(await row('b1').allTextContents()).toEqual([
      'Chrome 131 on Windows',
      'fcm.googleapis.com',
      'https://shop.example.com',
      expect.stringMatching(/^active\s*Gets a push when none of its tabs has the notification\.$/),
      expect.stringMatching(/^\d+s ago \/ \d+s ago$/),
      expect.stringMatching(/^\d+s ago$/),
      '—',
    ]);
    expect(await row('b1').first().locator('[data-user-agent]').getAttribute('title')).toBe(chrome);
    // An agent it cannot name: the header itself, cut short (whole on hover).
    expect(await row('b2').first().textContent()).toBe(`${odd.slice(0, 47)}…`);
    expect(await row('b2').first().locator('[data-user-agent]').getAttribute('title')).toBe(odd);
    expect(await row('b2').allTextContents()).toEqual([
      expect.any(String),
      'updates.push.services.mozilla.com',
      '—',
      expect.stringMatching(
        /^needs re-subscription\s*It subscribed with a push key the app no longer uses .*on its next connect\.$/,
      ),
      expect.stringMatching(/ago$/),
      'none yet',
      'HTTP 403',
    ]);
    expect(await row('b3').first().textContent()).toBe('unknown browser');
    // Read-only, like the rest of the page.
    expect(await page.locator('herald-subscribers [data-browsers] button').count()).toBe(0);
    await page.context().close();

    const none = await dashboard(
      { ...owner, [`GET /admin/api/subscribers/${id}`]: subscriber([]) },
      `#/subscribers/${id}`,
    );
    await expect
      .poll(() => none.locator('herald-subscribers [data-browsers]').textContent())
      .toBe('No browser of this user subscribed to Web Push.');
    await none.context().close();
  });

  it('herald-topics lists an app’s topics, opens one, adds users from a box and shows the outcome; a viewer only reads', async () => {
    let added: unknown;
    const topic = {
      topic: 'team/alpha',
      subscribers: 2,
      public: false,
      createdAt: new Date().toISOString(),
    };
    const members = {
      topic: 'team/alpha',
      subscribers: [
        { userId: 'amy', subscribedAt: new Date().toISOString() },
        { userId: 'bob', subscribedAt: new Date().toISOString() },
      ],
      nextCursor: null,
    };
    const routes = {
      'GET /admin/api/apps': [{ id: 'shop', name: 'Shop' }],
      // Two pages: the second comes with "Load more", from the first page's cursor.
      'GET /admin/api/apps/shop/topics': (route: Route) =>
        new URL(route.request().url()).searchParams.get('cursor') === 'team/alpha'
          ? { topics: [{ ...topic, topic: 'team/beta' }], nextCursor: null }
          : { topics: [topic], nextCursor: 'team/alpha' },
      'GET /admin/api/apps/shop/topics/team%2Falpha': {
        topic,
        members,
        recentSends: [
          {
            id: '22222222-2222-4222-8222-222222222222',
            title: 'Standup moved',
            status: 'dispatched',
            recipients: 2,
            createdAt: new Date().toISOString(),
            sendAt: null,
          },
        ],
      },
      'POST /admin/api/apps/shop/topics/team%2Falpha/subscribers': (_route: Route, body: unknown) => {
        added = body;
        return { topic: 'team/alpha', changed: 1, subscribers: 3 };
      },
    };
    const page = await dashboard(
      {
        ...owner,
        ...routes,
        'PATCH /admin/api/apps/shop/topics/has%20space': [
          400,
          { code: 'HERALD_ERR_VALIDATION', message: 'params.topic is not a topic name.' },
        ],
      },
      '#/topics',
    );
    // A refusal on the list is not carried to the topic opened next.
    await page.getByRole('textbox', { name: 'New topic' }).fill('has space');
    await page.getByRole('button', { name: 'Create' }).click();
    await expect
      .poll(() => page.locator('herald-topics [role="alert"]').textContent())
      .toBe('params.topic is not a topic name.');
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => page.locator('herald-topics tr[data-topic]').count()).toBe(2);
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
    await page.locator('herald-topics tr[data-topic="team/alpha"] a').click();
    await expect
      .poll(() => page.locator('herald-topics [data-summary]').textContent())
      .toMatch(/2 subscribers · app shop/);
    expect(await page.locator('herald-topics tr[data-member]').allTextContents()).toHaveLength(2);
    expect(await page.locator('herald-topics [role="alert"]').count()).toBe(0);
    // Adding nobody is said, not ignored.
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await expect
      .poll(() => page.locator('herald-topics [role="alert"]').textContent())
      .toBe('Name one or more user ids, separated by commas, spaces or new lines.');
    // Its latest sends, each linking to what happened to it.
    const send = page.locator('herald-topics [data-sends] tbody tr');
    expect(await send.allTextContents()).toEqual([expect.stringMatching(/Standup moved\s*dispatched\s*2 users/)]);
    expect(await send.locator('a').getAttribute('href')).toBe('#/notifications/22222222-2222-4222-8222-222222222222');
    await page.getByRole('textbox', { name: 'Add users' }).fill('bob, carl\ncarl');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await expect
      .poll(() => page.locator('herald-topics [role="status"]').textContent())
      .toBe('Added 1 of 2 (1 already in it); 3 subscribers now.');
    expect(added).toEqual({ userIds: ['bob', 'carl'] });
    await page.context().close();

    const viewer = await dashboard(
      { 'GET /admin/api/session': { signedIn: true, email: 'v@example.com', role: 'viewer' }, ...routes },
      '#/topics/shop~team%2Falpha',
    );
    await expect.poll(() => viewer.locator('herald-topics tr[data-member]').count()).toBe(2);
    expect(await viewer.getByRole('button', { name: 'Remove' }).count()).toBe(0);
    expect(await viewer.getByLabel('Add users').count()).toBe(0);
    await viewer.context().close();
  });

  it('herald-categories lists an app’s categories; an admin creates, edits and deletes them; a viewer only reads', async () => {
    const createdAt = new Date().toISOString();
    const marketing = {
      key: 'marketing',
      name: 'Offers',
      description: 'Sales and new products',
      defaultMode: 'inbox',
      required: false,
      createdAt,
    };
    const security = {
      key: 'security',
      name: 'Security',
      description: null,
      defaultMode: 'popup',
      required: true,
      createdAt,
    };
    const calls: string[] = [];
    const puts: Record<string, unknown> = {};
    const headers: Record<string, string | undefined> = {};
    const routes = {
      'GET /admin/api/apps': [
        { id: 'shop', name: 'Shop' },
        { id: 'blog', name: 'Blog' },
      ],
      'GET /admin/api/apps/shop/categories': () => {
        calls.push('GET shop');
        return { categories: [marketing, security] };
      },
      'GET /admin/api/apps/blog/categories': { categories: [] },
      'PUT /admin/api/apps/shop/categories/orders': (r: Route, body: unknown) => {
        puts.orders = body;
        headers.orders = r.request().headers()['if-none-match'];
        return { key: 'orders', ...(body as object), createdAt };
      },
      'PUT /admin/api/apps/shop/categories/marketing': (r: Route, body: unknown) => {
        puts.marketing = body;
        headers.marketing = r.request().headers()['if-none-match'];
        return { key: 'marketing', ...(body as object), createdAt };
      },
      // As the server answers a create (If-None-Match: *) of a key that exists.
      'PUT /admin/api/apps/shop/categories/security': () => [
        412,
        {
          code: 'HERALD_ERR_CATEGORY_EXISTS',
          message:
            'Category "security" already exists in this app; edit it instead (this request asked to create it only: If-None-Match: *).',
        },
      ],
      'DELETE /admin/api/apps/shop/categories/security': () => {
        calls.push('DELETE security');
        return { category: 'security', deleted: true };
      },
    };
    const page = await dashboard({ ...owner, ...routes }, '#/categories');
    const rows = page.locator('herald-categories tr[data-category]');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await page.locator('herald-categories tr[data-category=marketing] td').allTextContents()).toEqual([
      'marketing',
      'Offers',
      'Sales and new products',
      'inbox',
      'no',
      expect.stringMatching(/s ago$/),
      expect.stringMatching(/Edit\s+Delete/),
    ]);
    expect(await page.locator('herald-categories tr[data-category=security] td').nth(4).textContent()).toBe(
      'yes: users cannot turn it off',
    );
    expect(await page.locator('herald-categories tr[data-category=security] td').nth(2).textContent()).toBe('—');

    // A key the API would refuse is stopped in the form, with what a key may be.
    const create = page.getByRole('form', { name: 'New category' });
    const key = create.getByLabel('Key');
    await key.fill('new offers');
    await create.getByLabel('Name').fill('Your orders');
    await create.getByRole('button', { name: 'Create' }).click();
    expect(await key.evaluate((e) => (e as HTMLInputElement).validity.patternMismatch)).toBe(true);
    expect(await key.getAttribute('title')).toMatch(/^1 to 64 letters, digits and _ \. : -/);
    expect(Object.keys(puts)).toEqual([]);

    // Create: a PUT on the new key, with the form's fields.
    await create.getByLabel('Key').fill('orders');
    await create.getByLabel('Name').fill('Your orders');
    await create.getByLabel('Default mode').selectOption('popup');
    await create.getByLabel(/Required/).check();
    await create.getByRole('button', { name: 'Create' }).click();
    await expect
      .poll(() => page.locator('herald-categories [role="status"]').textContent())
      .toBe('Category “orders” was created.');
    expect(puts.orders).toEqual({ name: 'Your orders', description: null, defaultMode: 'popup', required: true });
    // Asked to create only: a key that exists is never overwritten by this form.
    expect(headers.orders).toBe('*');
    expect(await create.getByLabel('Key').inputValue()).toBe('');

    // "Create" with a key that exists: the server's sentence, and the form kept to be corrected.
    await create.getByLabel('Key').fill('security');
    await create.getByLabel('Name').fill('Security again');
    await create.getByRole('button', { name: 'Create' }).click();
    await expect
      .poll(() => page.locator('herald-categories [role="alert"]').textContent())
      .toMatch(/^Category "security" already exists in this app; edit it instead/);
    expect(await create.getByLabel('Key').inputValue()).toBe('security');

    // Edit: the row's form starts from what it is; a PUT on its key with every field.
    await page.getByRole('button', { name: 'Edit marketing' }).click();
    const edit = page.getByRole('form', { name: 'Edit category marketing' });
    expect(await edit.getByLabel('Name').inputValue()).toBe('Offers');
    expect(await edit.getByLabel('Default mode').inputValue()).toBe('inbox');
    await edit.getByLabel(/Description/).fill('');
    await edit.getByLabel('Default mode').selectOption('off');
    await edit.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(() => page.locator('herald-categories [role="status"]').textContent())
      .toBe('Category “marketing” was saved.');
    expect(puts.marketing).toEqual({ name: 'Offers', description: null, defaultMode: 'off', required: false });
    expect(headers.marketing).toBeUndefined();
    expect(await edit.count()).toBe(0);

    // Delete: only once the admin confirmed it.
    const dialogs: string[] = [];
    page.once('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.getByRole('button', { name: 'Delete security' }).click();
    await expect.poll(() => dialogs).toHaveLength(1);
    expect(calls).not.toContain('DELETE security');
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Delete security' }).click();
    await expect.poll(() => calls).toContain('DELETE security');
    await expect
      .poll(() => page.locator('herald-categories [role="status"]').textContent())
      .toBe('Category “security” was deleted.');
    expect(dialogs[0]).toMatch(/Delete category “security”\?/);

    // Another app: its own list, by its route.
    await page.getByLabel('App').selectOption('blog');
    await expect.poll(() => page.url()).toMatch(/#\/categories\/blog$/);
    await expect
      .poll(() => page.locator('herald-categories .empty').textContent())
      .toMatch(/No categories in this app yet/);
    await page.context().close();

    const viewer = await dashboard(
      { 'GET /admin/api/session': { signedIn: true, email: 'v@example.com', role: 'viewer' }, ...routes },
      '#/categories/shop',
    );
    await expect.poll(() => viewer.locator('herald-categories tr[data-category]').count()).toBe(2);
    expect(await viewer.locator('herald-categories button').count()).toBe(0);
    expect(await viewer.locator('herald-categories form').count()).toBe(0);
    await viewer.context().close();
  });
});
