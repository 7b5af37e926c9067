/**
 * The README's snippets, run as a newcomer pastes them: the curl send, the two-file integrator
 * (a page embedding sdk.js and its backend handing out tokens) in real Chromium, the page's
 * preferences calls, the plain Socket.IO client of the protocol section, and the Web Push worker file
 * and page (with the fake PushManager of support/browser.ts and web-push-testing as the push service). Only Herald's address and the example's port are
 * swapped for the test's own; everything else is the README's text.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { type MockSubscription, type PushService, startPushService } from '@herald/test-support';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectErrors,
  launchChromium,
  pushContext,
  pushDevTools,
  RECORD_NOTIFICATIONS,
  registrationPopups,
} from './support/browser.js';
import {
  api,
  dropQueuePrefix,
  eventually,
  freePort,
  type HeraldProcess,
  ROOT,
  startHerald,
  tempDir,
  uid,
  untilOffline,
} from './support/herald.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const API_KEY = `hk_${uid()}${uid()}${uid()}`;
const ADMIN = { email: 'readme@example.com', password: 'correct horse battery' };
const queuePrefix = `{herald-e2e-${uid()}}`;
const data = tempDir();
// Inside the tests package, so the client snippet's `import 'socket.io-client'` resolves as it would
// in a project that installed it.
const work = join(import.meta.dirname, '.readme-snippets');
let herald: HeraldProcess;
let browser: Browser;
let pushService: PushService;
const PUSH_WINDOW_MS = 500;
const children: ChildProcess[] = [];

/** The code block that follows `<!-- snippet: name -->` in the README. */
function snippet(name: string): string {
  const match = README.match(new RegExp(`<!-- snippet: ${name} -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\\n\`\`\``));
  if (!match?.[1]) throw new Error(`README has no snippet "${name}"`);
  return match[1];
}

/** The README's addresses (Herald on 127.0.0.1:3000, the example site on 8080) made the test's. */
const localize = (text: string, sitePort?: number) => {
  let out = text.replaceAll('http://127.0.0.1:3000', herald.url);
  if (sitePort) out = out.replaceAll('8080', String(sitePort));
  return out;
};

/** The README's two-file site in a directory of its own: its backend.mjs running, once it says where to go. */
async function startSite(sitePort: number, backendCode: string, page?: string) {
  const dir = join(work, `site-${uid()}`);
  mkdirSync(dir, { recursive: true });
  if (page) writeFileSync(join(dir, 'index.html'), page);
  writeFileSync(join(dir, 'backend.mjs'), backendCode);
  const backend = runNode(['backend.mjs'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HERALD_API_KEY: API_KEY },
  });
  await eventually(() => backend.output().includes(`Open http://localhost:${sitePort}/`));
  return backend.child;
}

/** A Node.js script of the README's, run as a child of the test: its process and all it printed so far. */
function runNode(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const child = spawn(process.execPath, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  return { child, output: () => out };
}

beforeAll(async () => {
  herald = await startHerald({
    env: {
      HERALD_DATA_DIR: data.path,
      HERALD_API_KEY: API_KEY,
      HERALD_ADMIN_EMAIL: ADMIN.email,
      HERALD_ADMIN_PASSWORD: ADMIN.password,
      HERALD_QUEUE_PREFIX: queuePrefix,
      // The Web Push snippets' push service is web-push-testing, on this machine.
      HERALD_PUSH_ALLOW_PRIVATE: 'true',
      HERALD_PUSH_WINDOW_MS: String(PUSH_WINDOW_MS),
    },
  });
  pushService = await startPushService();
  mkdirSync(work, { recursive: true });
  browser = await launchChromium();
});

afterAll(async () => {
  for (const child of children) child.kill();
  await browser?.close();
  await herald?.stop();
  await pushService?.close();
  await dropQueuePrefix(queuePrefix);
  data.remove();
  rmSync(work, { recursive: true, force: true });
});

const sh = (script: string) =>
  promisify(execFile)('bash', ['-c', script], { env: { ...process.env, HERALD_API_KEY: API_KEY } });

describe('README snippets, as pasted', () => {
  it('the curl send answers 202 with an id, as the comment under it says', async () => {
    const { stdout } = await sh(localize(snippet('send')));
    const answer = JSON.parse(stdout) as { id: string; status: string; recipients: number };
    expect(answer).toMatchObject({ status: 'queued', recipients: 1 });
    expect(answer.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('the topic snippet subscribes two users and sends to the topic: 202 with two recipients', async () => {
    const { stdout } = await sh(localize(snippet('topic-send')));
    // Two curl calls: their bodies follow each other on stdout.
    const [subscribed, sent] = stdout
      .replace(/}\s*{/g, '}\n{')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(subscribed).toMatchObject({ topic: 'news', changed: 2, subscribers: 2 });
    expect(sent).toMatchObject({ status: 'queued', recipients: 2 });
  });

  it('the preferences snippet skips bob, as the sentence under it says, and not alice', async () => {
    const { stdout } = await sh(localize(snippet('preferences')));
    const [category, preferences, sent] = stdout
      .replace(/}\s*{/g, '}\n{')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(category).toMatchObject({ key: 'promotions', defaultMode: 'inbox', required: false });
    expect(preferences).toMatchObject({ categories: { promotions: 'off' }, quietHours: { timeZone: 'Europe/Paris' } });
    expect(sent).toMatchObject({ status: 'queued', recipients: 2 });
    const recipients = await eventually(async () => {
      const res = await fetch(`${herald.url}/v1/notifications/${sent.id}/recipients`, {
        headers: { authorization: `Bearer ${API_KEY}` },
      });
      const body = (await res.json()) as { items: Array<{ userId: string; status: string; reason: string | null }> };
      return body.items.length === 2 ? body.items : undefined;
    });
    const documented = README.match(
      /`("status":"skipped","reason":"category\s+\\"promotions\\" is off \(the user's choice\)")`/,
    );
    expect(documented, 'the README quotes the skipped row').not.toBeNull();
    const quoted = JSON.parse(`{${(documented?.[1] ?? '').replace(/\s+/g, ' ')}}`);
    expect(recipients.find((r) => r.userId === 'bob')).toMatchObject(quoted);
    expect(recipients.find((r) => r.userId === 'alice')?.status).not.toBe('skipped');
  });

  it('the two-file integrator gets a token from its backend and shows a popup for a send to alice', async () => {
    const sitePort = await freePort();
    await startSite(sitePort, localize(snippet('sdk-backend'), sitePort), localize(snippet('sdk-page'), sitePort));
    const site = `http://localhost:${sitePort}`;

    const context = await browser.newContext();
    await context.grantPermissions(['notifications'], { origin: site });
    await context.addInitScript(RECORD_NOTIFICATIONS);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    await page.goto(`${site}/`);
    await page.getByRole('button', { name: 'Enable notifications' }).click();
    await page.waitForFunction(() => (window as unknown as { Herald: { state: string } }).Herald.state === 'connected');

    // The README's curl call, to alice (the backend's signed-in user).
    const { stdout } = await sh(localize(snippet('send')));
    const { id } = JSON.parse(stdout) as { id: string };
    await page.waitForFunction(() => window.__shown.length > 0, undefined, { timeout: 15_000 });
    expect((await page.evaluate(() => window.__shown))[0]?.title).toBe('Your order shipped');
    // Sent after the page connected: live, even when it lands while the connect's catch-up is still
    // running (the page is `connected` before that ends) and the catch-up sends it.
    await expect
      .poll(() => page.locator('#received li').first().textContent())
      .toBe('Your order shipped (popup shown)');
    const status = await api<{ counts: Record<string, number> }>(herald.url, `/v1/notifications/${id}`, {
      key: API_KEY,
    });
    expect(status.status).toBe(200);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('the backend snippet answers 502 while Herald is unreachable, and keeps serving', async () => {
    const sitePort = await freePort();
    const refused = `http://127.0.0.1:${await freePort()}`;
    const code = localize(snippet('sdk-backend'), sitePort).replaceAll(herald.url, refused);
    expect(code).toContain(refused);
    const backend = await startSite(sitePort, code);
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`http://localhost:${sitePort}/my-backend/herald-token`);
      expect(res.status).toBe(502);
    }
    expect(backend.exitCode).toBeNull();
  });

  it('the protocol client receives what it missed, then synced, then live ones, each once', async () => {
    const userId = `protocol-${uid()}`;
    const file = join(work, `client-${uid()}.mjs`);
    writeFileSync(file, localize(snippet('protocol-client')));
    const topic = `protocol-${uid()}`;
    const send = (title: string, to: object = { userId }) =>
      api<{ id: string }>(herald.url, '/v1/notifications', { key: API_KEY, body: { to, title } });
    const joined = await api(herald.url, `/v1/topics/${topic}/subscribers`, {
      key: API_KEY,
      method: 'PUT',
      body: { userIds: [userId] },
    });
    expect(joined.status).toBe(200);
    expect((await send('Missed one')).status).toBe(202);
    expect((await send('Missed topic', { topic })).status).toBe(202);
    expect((await send('Missed two')).status).toBe(202);
    const { body } = await api<{ token: string }>(herald.url, '/v1/tokens', { key: API_KEY, body: { userId } });
    const client = runNode([file, body.token]);
    await eventually(() => client.output().includes('caught up'));
    expect((await send('Live one')).status).toBe(202);
    await eventually(() => client.output().includes('live: Live one'));
    expect((await send('Live topic', { topic })).status).toBe(202);
    await eventually(() => client.output().includes('live: Live topic'));
    expect(client.output().trim().split('\n')).toEqual([
      'missed: Missed one',
      'missed: Missed topic',
      'missed: Missed two',
      'caught up: 3 replayed',
      'live: Live one',
      'live: Live topic',
    ]);
    client.child.kill();
  });

  it('the preferences snippet reads what its comments say, and leaves the choices it names', async () => {
    const userId = `prefs-${uid()}`;
    const promotions = await api(herald.url, '/v1/categories/promotions', {
      method: 'PUT',
      key: API_KEY,
      body: { name: 'Promotions', defaultMode: 'inbox' },
    });
    expect(promotions.status).toBe(200);
    const before = { categories: { promotions: 'off' }, topics: { news: 'inbox' }, quietHours: null };
    const chosen = await api(herald.url, `/v1/users/${userId}/preferences`, {
      method: 'PATCH',
      key: API_KEY,
      body: before,
    });
    expect(chosen.body).toEqual(before);
    const { body } = await api<{ token: string }>(herald.url, '/v1/tokens', { key: API_KEY, body: { userId } });

    // A page of another origin, served from this machine (as the integrator's page above).
    const html = `<!doctype html><script src="${herald.url}/sdk.js"></script><script>Herald.init({ url: '${herald.url}', token: '${body.token}' });</script>`;
    const site = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`http://localhost:${(site.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => (window as unknown as { Herald: { state: string } }).Herald.state === 'connected');
    const read = await page.evaluate(
      `(async () => {\n${snippet('sdk-preferences')}\nreturn { preferences, categories };\n})()`,
    );
    expect(read).toEqual({
      preferences: before,
      // Other tests' categories too: the snippet's comment shows one and "…".
      categories: expect.arrayContaining([
        { key: 'promotions', name: 'Promotions', description: null, defaultMode: 'inbox', required: false },
      ]),
    });
    const after = await api(herald.url, `/v1/users/${userId}/preferences`, { key: API_KEY });
    expect(after.body).toEqual({
      categories: { promotions: 'inbox' },
      topics: {},
      quietHours: { start: '22:00', end: '07:00', timeZone: 'Europe/Paris' },
    });
    await context.close();
    site.close();
  });

  it("the Web Push snippets, as a site's worker file and page: enablePush subscribes, and with the tab closed the worker shows the push", async () => {
    const userId = `push-${uid()}`;
    const { body } = await api<{ token: string }>(herald.url, '/v1/tokens', { key: API_KEY, body: { userId } });
    const ours = (text: string) => localize(text).replaceAll('https://herald.example.com', herald.url);
    // The integrator's page: sdk.js, its own `token` and `button`, then the README's lines.
    const html = `<!doctype html><button>Get popups</button>
<script src="${herald.url}/sdk.js"></script>
<script>
  const token = ${JSON.stringify(body.token)};
  const button = document.querySelector('button');
${ours(snippet('push-page'))}
</script>`;
    const site = createServer((req, res) => {
      if (req.url === '/herald-sw.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(ours(snippet('push-worker')));
      } else res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    });
    await new Promise<void>((resolve) => site.listen(0, 'localhost', resolve));
    const siteUrl = `http://localhost:${(site.address() as AddressInfo).port}`;
    const made: MockSubscription[] = [];
    const context = await pushContext(browser, {
      origins: [siteUrl],
      subscribe: async (publicKey) => {
        const subscription = await pushService.subscribe(publicKey);
        made.push(subscription);
        return subscription;
      },
    });
    const problems: string[] = [];
    try {
      const devTools = await pushDevTools(await context.newPage(), siteUrl);
      const page = await context.newPage();
      collectErrors(page, problems);
      await page.goto(`${siteUrl}/`);
      const state = () =>
        page.evaluate(() => (window as unknown as { Herald: { pushState(): Promise<string> } }).Herald.pushState());
      expect(await state()).toBe('unsubscribed');
      await page.getByRole('button', { name: 'Get popups' }).click();
      await expect.poll(state, { timeout: 10_000 }).toBe('subscribed');
      expect(made).toHaveLength(1);
      const worker = await page.evaluate(
        async () => (await navigator.serviceWorker.getRegistration())?.active?.scriptURL,
      );
      expect(worker).toBe(`${siteUrl}/herald-sw.js`);
      await page.close();
      // Sent once Herald has seen the tab's socket go, as a person sends after closing it: a tab
      // still connected would have it over its socket and be pushed nothing.
      await untilOffline(herald.url, ADMIN, userId);

      // No tab left: the send goes through the push service to the README's worker file.
      const sent = await api<{ id: string }>(herald.url, '/v1/notifications', {
        key: API_KEY,
        body: { to: { userId }, title: 'Pushed to the snippet' },
      });
      expect(sent.status).toBe(202);
      const [plaintext] = await eventually(async () => {
        const got = await pushService.messages((made[0] as MockSubscription).clientHash);
        return got.length ? got : undefined;
      }, 20_000).catch(async (error) => {
        // Say what Herald did with it (a socket ack, a skip, an attempt) rather than only that it timed out.
        const recipients = await api(herald.url, `/v1/notifications/${sent.body.id}/recipients`, { key: API_KEY });
        throw new Error(`${error.message}; recipients: ${JSON.stringify(recipients.body)}`);
      });
      await devTools.deliver(plaintext);
      const shown = await eventually(async () => {
        const titles = (await registrationPopups(context, `${siteUrl}/herald-sw.js`)).map((p) => p.title);
        return titles.length ? titles : undefined;
      });
      expect(shown).toEqual(['Pushed to the snippet']);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
      site.close();
    }
  });

  it('the export of the API key reads the first run’s credentials, from .data or from HERALD_DATA_DIR', async () => {
    const line = README.match(/`export HERALD_API_KEY=\$\((node -p "[^`]+")\)`/)?.[1];
    expect(line, 'README has the export line').toBeTruthy();
    const checkout = tempDir();
    const elsewhere = tempDir();
    try {
      mkdirSync(join(checkout.path, '.data'));
      writeFileSync(join(checkout.path, '.data', 'credentials.json'), JSON.stringify({ apiKey: 'hk_in_checkout' }));
      writeFileSync(join(elsewhere.path, 'credentials.json'), JSON.stringify({ apiKey: 'hk_elsewhere' }));
      const run = (env: NodeJS.ProcessEnv) =>
        promisify(execFile)('bash', ['-c', `echo $(${line})`], { cwd: checkout.path, env: { ...process.env, ...env } });
      expect((await run({ HERALD_DATA_DIR: '' })).stdout.trim()).toBe('hk_in_checkout');
      expect((await run({ HERALD_DATA_DIR: elsewhere.path })).stdout.trim()).toBe('hk_elsewhere');
    } finally {
      checkout.remove();
      elsewhere.remove();
    }
  });

  it('states the sizes of sdk.js, the inbox widget and the push parts that the build ships (within 0.3 KB)', () => {
    const claim = README.match(/`sdk\.js` is ([\d.]+) KB gzipped[^,]*, inbox widget\s+([\d.]+) KB/);
    expect(claim, 'README states both sizes').toBeTruthy();
    const gz = (file: string) =>
      gzipSync(readFileSync(join(ROOT, 'packages/sdk/dist', file)), { level: 9 }).length / 1024;
    expect(Math.abs(gz('sdk.js') - Number(claim?.[1]))).toBeLessThan(0.3);
    expect(Math.abs(gz('inbox.js') - Number(claim?.[2]))).toBeLessThan(0.3);
    const push = README.match(/`push\.js`[^)]*\) ([\d.]+) KB \(budget [\d.]+ KB\), service worker ([\d.]+) KB/);
    expect(push, 'README states the push parts').toBeTruthy();
    expect(Math.abs(gz('push.js') - Number(push?.[1]))).toBeLessThan(0.3);
    expect(Math.abs(gz('herald-sw.js') - Number(push?.[2]))).toBeLessThan(0.3);
  });

  it('the demo page embeds the SDK the way the README does (the token function reads the JSON token)', () => {
    const demo = readFileSync(join(ROOT, 'apps/api/public/index.html'), 'utf8').replaceAll('=&gt;', '=>');
    const readme = snippet('sdk-page').match(/Herald\.init\(\{ token: .*\}\);/)?.[0];
    expect(readme).toBeTruthy();
    expect(demo).toContain(readme);
  });
});
