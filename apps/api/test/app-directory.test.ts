import { describe, expect, it } from 'vitest';
import { AppDirectory } from '../src/auth/app-directory.js';
import type { PrismaClient } from '../src/generated/prisma/client.js';

const APP = {
  id: 'a',
  jwtSecret: 's'.repeat(32),
  allowedOrigins: [],
  jwtSecretPrevious: null,
  jwtSecretRotatedAt: null,
  rateLimitPerMinute: null,
  jwtSecretPreviousUntil: null,
  restrictUrls: false,
  categories: [],
};

/** A Prisma stand-in that counts reads of the app and answers them when told. */
function fakePrisma() {
  const reads: Array<(categories: string[]) => void> = [];
  const prisma = {
    app: {
      findUnique: () =>
        new Promise((resolve) => {
          reads.push((categories) =>
            resolve({
              ...APP,
              categories: categories.map((key) => ({ key, defaultMode: 'popup', required: false })),
              pushSubscriptions: [],
            }),
          );
        }),
    },
  };
  return { prisma: prisma as unknown as PrismaClient, reads };
}

describe('the app directory', () => {
  it('reads an app once however many sockets peek at it meanwhile, and a read from before a change does not stick', async () => {
    const { prisma, reads } = fakePrisma();
    const apps = new AppDirectory(prisma, 0); // every entry is past its time at once
    const first = apps.get('a');
    for (let i = 0; i < 1000; i++) apps.peek('a');
    expect(reads).toHaveLength(1);
    reads[0]?.(['old']);
    expect([...((await first)?.categories.keys() ?? [])]).toEqual(['old']);

    // A read under way when the app changes is not shared after the change, nor cached.
    apps.peek('a'); // starts a read (the entry is past its time)
    expect(reads).toHaveLength(2);
    apps.forget('a'); // the change: a fresh read starts
    expect(reads).toHaveLength(3);
    reads[2]?.(['new']);
    reads[1]?.(['old']);
    await new Promise((r) => setTimeout(r, 0));
    expect([...(apps.peek('a')?.categories.keys() ?? [])]).toEqual(['new']);
  });

  it('answers "no such app" without a query for a while, until the app is created', async () => {
    let reads = 0;
    let exists = false;
    const prisma = {
      app: {
        findUnique: async () => {
          reads++;
          return exists ? { ...APP, pushSubscriptions: [] } : null;
        },
      },
    } as unknown as PrismaClient;
    const apps = new AppDirectory(prisma);
    for (let i = 0; i < 100; i++) expect(await apps.get('made-up')).toBeUndefined();
    expect(reads).toBe(1);
    exists = true;
    apps.invalidate('made-up'); // what creating it does
    expect(await apps.get('made-up')).toMatchObject({ id: 'a' });
  });
});
