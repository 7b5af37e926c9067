import { readFileSync, statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { bootstrap, credentialsPath, DEFAULT_APP_ID, markCredentialsShown } from '../src/admin/bootstrap.js';
import { hashApiKey, verifyPassword } from '../src/platform/lib/secrets.js';
import { createTestDatabase, type TestDatabase } from './helpers.js';

let testDb: TestDatabase | undefined;
afterEach(async () => {
  await testDb?.cleanup();
  testDb = undefined;
});

describe('first-run bootstrap', () => {
  it('creates an owner, the default app and an API key, and keeps them in a 0600 file', async () => {
    testDb = await createTestDatabase('postgres');
    const { prisma } = testDb.db;
    const first = await bootstrap(prisma, { dataDir: testDb.dataDir });
    expect(first.generated).toBe(true);
    expect(first.created).toEqual({ admin: true, app: true, apiKey: true });
    const { credentials } = first;
    expect(credentials.apiKey).toMatch(/^hk_/);

    const admin = await prisma.admin.findUniqueOrThrow({ where: { email: credentials.adminEmail } });
    expect(admin.role).toBe('owner');
    expect(await verifyPassword(credentials.adminPassword as string, admin.passwordHash)).toBe(true);
    expect(admin.passwordHash).not.toContain(credentials.adminPassword);
    const key = await prisma.apiKey.findUniqueOrThrow({ where: { hash: hashApiKey(credentials.apiKey as string) } });
    expect(key.appId).toBe(DEFAULT_APP_ID);
    expect((await prisma.app.findUniqueOrThrow({ where: { id: DEFAULT_APP_ID } })).jwtSecret).toBe(
      credentials.jwtSecret,
    );

    const path = credentialsPath(testDb.dataDir);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ ...credentials, shown: false });
    markCredentialsShown(path);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(credentials);
    expect(statSync(path).mode & 0o777).toBe(0o600);

    const second = await bootstrap(prisma, { dataDir: testDb.dataDir });
    expect(second.generated).toBe(false);
    expect(second.created).toEqual({ admin: false, app: false, apiKey: false });
    expect(second.credentials).toEqual(credentials);
    expect(await prisma.apiKey.count()).toBe(1);
    expect(await prisma.admin.count()).toBe(1);
  });

  it('reports generated credentials again on every start until they were shown', async () => {
    testDb = await createTestDatabase('pglite');
    const { prisma } = testDb.db;
    const first = await bootstrap(prisma, { dataDir: testDb.dataDir });
    // The first start failed before its banner: the next one still has them to show, the same ones.
    const second = await bootstrap(prisma, { dataDir: testDb.dataDir });
    expect(second.generated).toBe(true);
    expect(second.created).toEqual({ admin: false, app: false, apiKey: false });
    expect(second.credentials).toEqual(first.credentials);
    markCredentialsShown(second.credentialsPath);
    expect((await bootstrap(prisma, { dataDir: testDb.dataDir })).generated).toBe(false);
  });

  it('keeps what the file saved when the environment gives the same values back, as the README has one export them', async () => {
    testDb = await createTestDatabase('pglite');
    const { prisma } = testDb.db;
    const { credentials } = await bootstrap(prisma, { dataDir: testDb.dataDir });
    markCredentialsShown(credentialsPath(testDb.dataDir));
    const file = () => JSON.parse(readFileSync(credentialsPath(testDb?.dataDir as string), 'utf8'));
    expect(file()).toEqual(credentials);
    // export HERALD_API_KEY=… (and the others) from the file, then restart from that shell:
    const exported = await bootstrap(prisma, {
      dataDir: testDb.dataDir,
      adminEmail: credentials.adminEmail,
      adminPassword: credentials.adminPassword as string,
      apiKey: credentials.apiKey as string,
      jwtSecret: credentials.jwtSecret as string,
    });
    expect(exported.created).toEqual({ admin: false, app: false, apiKey: false });
    expect(file()).toEqual(credentials);
    expect((await bootstrap(prisma, { dataDir: testDb.dataDir })).credentials).toEqual(credentials);
    // Another key from the environment is added beside the saved one, which still works and stays in the file.
    const other = await bootstrap(prisma, {
      dataDir: testDb.dataDir,
      apiKey: 'hk_another_key_from_the_environment_01',
    });
    expect(other.created.apiKey).toBe(true);
    expect(file().apiKey).toBe(credentials.apiKey);
    expect(await prisma.apiKey.count()).toBe(2);
    // A different JWT secret from the environment: the saved one no longer says what the app uses.
    await bootstrap(prisma, { dataDir: testDb.dataDir, jwtSecret: 'x'.repeat(40) });
    expect(file().jwtSecret).toBeUndefined();
    expect(file().apiKey).toBe(credentials.apiKey);
  });

  it('uses the values given by environment for scripted deployments', async () => {
    testDb = await createTestDatabase('pglite');
    const { prisma } = testDb.db;
    const input = {
      dataDir: testDb.dataDir,
      adminEmail: 'ops@example.com',
      adminPassword: 'correct horse battery',
      apiKey: 'hk_given_by_the_environment_0123456789',
      jwtSecret: 's'.repeat(40),
    };
    const result = await bootstrap(prisma, input);
    expect(result.generated).toBe(false);
    const admin = await prisma.admin.findUniqueOrThrow({ where: { email: 'ops@example.com' } });
    expect(await verifyPassword('correct horse battery', admin.passwordHash)).toBe(true);
    expect(await prisma.apiKey.findUnique({ where: { hash: hashApiKey(input.apiKey) } })).not.toBeNull();
    expect((await prisma.app.findUniqueOrThrow({ where: { id: DEFAULT_APP_ID } })).jwtSecret).toBe(input.jwtSecret);
    // Secrets that came from the environment are not copied to disk.
    const saved = JSON.parse(readFileSync(credentialsPath(testDb.dataDir), 'utf8'));
    expect(saved.adminPassword).toBeUndefined();
    expect(saved.apiKey).toBeUndefined();
    expect(saved.jwtSecret).toBeUndefined();
  });
});
