/**
 * docs/openapi.json is the API's OpenAPI document as the server serves it at /docs/json: what
 * integrators read without running Herald, and what the dashboard's API types are generated from
 * (apps/dashboard/src/generated/api-schema.d.ts). A route or schema change that leaves it stale fails
 * here; `HERALD_UPDATE_OPENAPI=1 npx vitest run test/openapi-document.test.ts` writes it again.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, startStack, type TestDatabase, type TestStack } from './helpers.js';

const FILE = resolve(import.meta.dirname, '../../../docs/openapi.json');

let testDb: TestDatabase;
let stack: TestStack;

beforeAll(async () => {
  testDb = await createTestDatabase('pglite');
  stack = await startStack(testDb, { worker: false });
});
afterAll(async () => {
  await stack?.close();
  await testDb?.cleanup();
});

it('docs/openapi.json is the document the server serves', async () => {
  const served = `${JSON.stringify((await stack.app.inject({ url: '/docs/json' })).json(), null, 2)}\n`;
  if (process.env.HERALD_UPDATE_OPENAPI === '1') writeFileSync(FILE, served);
  expect(readFileSync(FILE, 'utf8'), 'run HERALD_UPDATE_OPENAPI=1 npx vitest run test/openapi-document.test.ts').toBe(
    served,
  );
});
