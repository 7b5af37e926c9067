/**
 * The OpenAPI document says what the server does: a schema-driven fuzzer (support/fuzz.ts) sends
 * valid and invalid requests generated from /docs/json to Herald started as `npm start` starts it,
 * and finds no server error, no undocumented status, no response off its schema.
 *
 * Re-run on its own, with another seed or more requests per operation:
 *   cd tests && TEST_FUZZ_SEED=7 TEST_FUZZ_RUNS=300 npx vitest run contract.test.ts
 * or against a throwaway Herald you run yourself (it creates apps, admins and notifications there),
 * given its API key and an owner's email and password:
 *   TEST_FUZZ_URL=http://127.0.0.1:3000 TEST_FUZZ_API_KEY=… TEST_FUZZ_ADMIN_EMAIL=… \
 *   TEST_FUZZ_ADMIN_PASSWORD=… npx vitest run contract.test.ts
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzz } from './support/fuzz.js';
import { createSchema, dropQueuePrefix, type HeraldProcess, startHerald, tempDir, uid } from './support/herald.js';

const SEED = Number(process.env.TEST_FUZZ_SEED ?? 20_261_201);
const RUNS = Number(process.env.TEST_FUZZ_RUNS ?? 40);
const external = process.env.TEST_FUZZ_URL;

const API_KEY = process.env.TEST_FUZZ_API_KEY ?? `hk_${uid()}${uid()}${uid()}`;
const OWNER = {
  email: process.env.TEST_FUZZ_ADMIN_EMAIL ?? 'owner@fuzz.example',
  password: process.env.TEST_FUZZ_ADMIN_PASSWORD ?? 'a long fuzzing passphrase',
};
const VIEWER = { email: `viewer-${uid()}@fuzz.example`, password: 'a viewer passphrase' };
const queuePrefix = `{herald-con-${uid()}}`;
const data = tempDir();
let schema: Awaited<ReturnType<typeof createSchema>> | undefined;
let herald: HeraldProcess | undefined;
let baseUrl: string;

beforeAll(async () => {
  if (external) {
    baseUrl = external;
    return;
  }
  schema = await createSchema();
  herald = await startHerald({
    env: {
      DATABASE_URL: schema.url,
      HERALD_DATA_DIR: data.path,
      HERALD_QUEUE_PREFIX: queuePrefix,
      HERALD_API_KEY: API_KEY,
      HERALD_ADMIN_EMAIL: OWNER.email,
      HERALD_ADMIN_PASSWORD: OWNER.password,
      HERALD_AUTO_MIGRATE: 'true',
    },
  });
  baseUrl = herald.url;
});

afterAll(async () => {
  await herald?.stop();
  await schema?.drop();
  if (!external) await dropQueuePrefix(queuePrefix);
  data.remove();
});

async function call(method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(new URL(path, baseUrl), {
    method,
    headers: { ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

async function signIn(role: 'owner' | 'viewer'): Promise<string> {
  const res = await fetch(new URL('/admin/api/session', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(role === 'owner' ? OWNER : VIEWER),
  });
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('herald_session='));
  if (!cookie) throw new Error(`The fuzzer could not sign in (${res.status}): ${await res.text()}`);
  return cookie.split(';')[0] as string;
}

describe('the OpenAPI document, fuzzed', () => {
  it('finds no server error, no undocumented status and no response off its schema, with credentials or without', async () => {
    // Things that exist, so that valid requests reach the handlers' happy paths too.
    const key = { authorization: `Bearer ${API_KEY}` };
    const sent = await call('POST', '/v1/notifications', {
      headers: key,
      body: { to: { userId: 'alice' }, title: 'Hi' },
    });
    const later = await call('POST', '/v1/notifications', {
      headers: key,
      body: { to: { userId: 'alice' }, title: 'Later', sendAt: new Date(Date.now() + 3_600_000).toISOString() },
    });
    expect([sent.status, later.status]).toEqual([202, 202]);
    const cookie = await signIn('owner');
    const viewer = await call('POST', '/admin/api/admins', {
      headers: { cookie },
      body: { ...VIEWER, role: 'viewer' },
    });
    expect(viewer.status).toBe(201);
    const subscribers = await call('GET', '/admin/api/subscribers', { headers: { cookie } });
    const known = {
      id: [
        sent.body.id,
        later.body.id,
        ...(subscribers.body.items as Array<{ id: string }>).map((s) => s.id),
      ] as string[],
      userId: ['alice'],
      appId: ['default'],
      jobId: [later.body.id as string],
    };

    const report = await fuzz(
      {
        baseUrl,
        apiKey: API_KEY,
        signIn,
        demoToken: async () => {
          const res = await fetch(new URL('/demo/session', baseUrl), { method: 'POST' });
          return res.ok ? ((await res.json()) as { token: string }).token : undefined;
        },
        known,
      },
      {
        seed: SEED,
        runs: RUNS,
        // Signing in and adding an admin hash a password with scrypt, slow on purpose.
        runsFor: (op) =>
          ['POST /admin/api/session', 'POST /admin/api/admins'].includes(op) ? Math.ceil(RUNS / 3) : undefined,
        deadlineMs: 150_000,
        log: process.env.TEST_FUZZ_VERBOSE ? console.log : undefined,
      },
    );

    const summary = Object.entries(report.statuses)
      .map(([op, statuses]) => `  ${op}: ${JSON.stringify(statuses)}`)
      .join('\n');
    console.log(`fuzzer: seed ${SEED}, ${report.requests} requests over ${report.operations} operations\n${summary}`);
    // Each finding once per operation and problem, with an example request to replay.
    const distinct = new Map<string, string>();
    for (const f of report.findings) {
      const key = `${f.operation}: ${f.problem.replace(/ — .*/s, '')}`;
      if (!distinct.has(key))
        distinct.set(key, `${key}\n    ${f.kind}: ${f.request}\n    → ${f.problem.replace(/.* — /s, '')}`);
    }
    expect([...distinct.values()], herald?.output().slice(-3000)).toEqual([]);
    expect(report.completed, 'the fuzzer ran out of time before the last operation').toBe(true);
    expect(report.operations).toBeGreaterThan(30);
    expect(report.requests).toBeGreaterThan(report.operations * RUNS * 0.8);
    // The generated valid requests do reach the happy path.
    for (const op of [
      'POST /v1/notifications',
      'POST /v1/tokens',
      'GET /v1/users/{userId}/inbox',
      'GET /admin/api/audit',
    ]) {
      const ok = Object.entries(report.statuses[op] ?? {}).filter(([status]) => Number(status) < 300);
      expect(ok.length, `${op} never answered 2xx`).toBeGreaterThan(0);
    }
  }, 240_000);
});
