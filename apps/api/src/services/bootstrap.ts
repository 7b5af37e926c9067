import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PrismaClient } from '../generated/prisma/client.js';
import { apiKeyPrefix, generateApiKey, hashApiKey, hashPassword, randomToken } from '../lib/secrets.js';

export const DEFAULT_APP_ID = 'default';

/** What a first run generates, kept under the data directory (mode 0600) for the operator. */
export interface Credentials {
  adminEmail: string;
  adminPassword?: string;
  appId: string;
  apiKey?: string;
  jwtSecret?: string;
}

export interface BootstrapInput {
  dataDir: string;
  adminEmail?: string;
  adminPassword?: string;
  apiKey?: string;
  jwtSecret?: string;
}

export interface BootstrapResult {
  credentials: Credentials;
  credentialsPath: string;
  /** True when this run generated secrets the operator has not seen yet. */
  generated: boolean;
  created: { admin: boolean; app: boolean; apiKey: boolean };
}

export function credentialsPath(dataDir: string): string {
  return join(dataDir, 'credentials.json');
}

function readCredentials(path: string): Partial<Credentials> {
  if (!existsSync(path)) return {};
  return JSON.parse(readFileSync(path, 'utf8')) as Partial<Credentials>;
}

/**
 * Makes sure an owner admin, the default app, and an API key for it exist. Each value comes
 * from the environment when given, else from the credentials file of an earlier run, else is
 * generated; generated values are written to the credentials file (0600) and reported once.
 */
export async function bootstrap(prisma: PrismaClient, input: BootstrapInput): Promise<BootstrapResult> {
  mkdirSync(input.dataDir, { recursive: true, mode: 0o700 });
  const path = credentialsPath(input.dataDir);
  const saved = readCredentials(path);
  let generated = false;
  const gen = <T>(value: T | undefined, make: () => T): T => {
    if (value !== undefined) return value;
    generated = true;
    return make();
  };

  const adminEmail = input.adminEmail ?? saved.adminEmail ?? 'admin@herald.local';
  const created = { admin: false, app: false, apiKey: false };
  // Advisory lock: several processes may boot against one database at once.
  const credentials = await prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(4242001)`;
      const credentials: Credentials = { adminEmail, appId: DEFAULT_APP_ID };

      if ((await tx.admin.count()) === 0) {
        const password = input.adminPassword ?? gen(saved.adminPassword, () => randomToken(12));
        if (!input.adminPassword) credentials.adminPassword = password;
        await tx.admin.create({
          data: { email: adminEmail, passwordHash: await hashPassword(password), role: 'owner' },
        });
        created.admin = true;
      } else if (input.adminEmail && input.adminPassword) {
        const existing = await tx.admin.findUnique({ where: { email: input.adminEmail } });
        if (!existing) {
          await tx.admin.create({
            data: { email: input.adminEmail, passwordHash: await hashPassword(input.adminPassword), role: 'owner' },
          });
          created.admin = true;
        }
      } else if (saved.adminPassword) {
        credentials.adminPassword = saved.adminPassword;
      }

      const app = await tx.app.findUnique({ where: { id: DEFAULT_APP_ID } });
      if (!app) {
        const jwtSecret = input.jwtSecret ?? gen(saved.jwtSecret, () => randomToken(32));
        if (!input.jwtSecret) credentials.jwtSecret = jwtSecret;
        await tx.app.create({ data: { id: DEFAULT_APP_ID, name: 'Default app', jwtSecret } });
        created.app = true;
      } else if (!input.jwtSecret && saved.jwtSecret) {
        credentials.jwtSecret = saved.jwtSecret;
      }

      const keys = await tx.apiKey.count({ where: { appId: DEFAULT_APP_ID } });
      const wanted = input.apiKey ?? (keys === 0 ? gen(saved.apiKey, generateApiKey) : saved.apiKey);
      if (wanted) {
        if (!input.apiKey) credentials.apiKey = wanted;
        const hash = hashApiKey(wanted);
        if (!(await tx.apiKey.findUnique({ where: { hash } })) && (input.apiKey || keys === 0)) {
          await tx.apiKey.create({
            data: { appId: DEFAULT_APP_ID, name: 'Default key', prefix: apiKeyPrefix(wanted), hash },
          });
          created.apiKey = true;
        }
      }
      return credentials;
    },
    { timeout: 30_000 },
  );

  writeFileSync(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { credentials, credentialsPath: path, generated, created };
}
