import { ClientEvent, type ErrorReply, type PreferencesPatch, type PreferencesReply, userRoom } from '@herald/protocol';
import { PreferencesPatch as PatchSchema } from '@herald/protocol/schema';
import Value from 'typebox/value';
import { unstorableText } from '../platform/lib/text.js';
import type { CategoryRepository } from '../preferences/categories.js';
import type { PreferenceRepository, PreferencesEvent } from '../preferences/repository.js';
import type { GatewayServer, GatewaySocket } from './types.js';

type Answer = <R>(reply: ((r: R | ErrorReply) => void) | undefined, work: () => Promise<R | ErrorReply>) => void;

/**
 * A user's own preferences over the socket: read them with the app's categories (what the inbox
 * widget's panel shows), and change them. The same rules as REST: an unknown category, or `off`
 * for a required one, is refused with its code.
 */
export function handlePreferences(
  socket: GatewaySocket,
  repos: { preferences: PreferenceRepository; categories: CategoryRepository },
  answer: Answer,
): void {
  const { appId, userId } = socket.data;
  const reply = async (preferences: PreferencesReply['preferences']): Promise<PreferencesReply> => ({
    ok: true,
    preferences,
    categories: (await repos.categories.list(appId)).map(({ createdAt: _at, ...category }) => category),
  });

  socket.on(ClientEvent.PreferencesGet, (_request, done) =>
    answer(done, async () => reply(await repos.preferences.get(appId, userId))),
  );
  socket.on(ClientEvent.PreferencesSet, (request, done) =>
    answer(done, async () => {
      if (!Value.Check(PatchSchema, request)) {
        return {
          ok: false as const,
          code: 'HERALD_ERR_VALIDATION',
          message:
            '"preferences:set" needs { categories?: { <key>: "popup" | "inbox" | "off" | null }, topics?: { <topic>: … }, quietHours?: { start: "HH:MM", end: "HH:MM", timeZone } | null }.',
        };
      }
      // Text PostgreSQL cannot store (a NUL, a lone surrogate) is refused here, as REST refuses it.
      const bad = unstorableText(request);
      if (bad) {
        return {
          ok: false as const,
          code: 'HERALD_ERR_VALIDATION',
          message: `${bad} contains a NUL character or an unpaired surrogate, which cannot be stored.`,
        };
      }
      return reply(await repos.preferences.patch(appId, userId, request as PreferencesPatch));
    }),
  );
}

/** Gives this node's sockets of a user their new preferences (they decide which popups are silenced). */
export function applyPreferences(io: GatewayServer, event: PreferencesEvent): void {
  const nsp = io.of('/');
  for (const id of nsp.adapter.rooms.get(userRoom(event.appId, event.userId)) ?? []) {
    const socket = nsp.sockets.get(id);
    if (socket) socket.data.preferences = event.preferences;
  }
}
