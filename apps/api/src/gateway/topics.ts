import { ClientEvent, type ErrorReply, type TopicReply, type TopicsReply } from '@herald/protocol';
import { granted } from '../auth/topic-grants.js';
import { TOPIC_PATTERN } from '../schemas/topics.js';
import { MAX_TOPICS_PER_LIST, type TopicRepository } from '../topics/repository.js';
import type { GatewaySocket } from './types.js';

const NAME = new RegExp(TOPIC_PATTERN);

type Answer = <R>(reply: ((r: R | ErrorReply) => void) | undefined, work: () => Promise<R | ErrorReply>) => void;

/**
 * A user's own topic requests over the socket: subscribe and unsubscribe, where the app allows it
 * (a public topic, or one the token's `topics` claim grants), and list. The backend's REST calls
 * can put a user in any topic; from the browser, only what the app said.
 */
export function handleTopics(socket: GatewaySocket, topics: TopicRepository, answer: Answer): void {
  const { appId, userId } = socket.data;

  /** The topic of a request, or why the request is refused. */
  const check = async (request: unknown, leaving: boolean): Promise<{ topic: string } | ErrorReply> => {
    const topic = (request as { topic?: unknown } | null | undefined)?.topic;
    if (typeof topic !== 'string' || !NAME.test(topic)) {
      return {
        ok: false,
        code: 'HERALD_ERR_VALIDATION',
        message:
          'Name a topic: { topic } with 1 to 100 letters, digits and _ - . : / @, starting with a letter or digit.',
      };
    }
    if (granted(topic, socket.data.topicGrants ?? []) || (await topics.isPublic(appId, topic))) return { topic };
    return {
      ok: false,
      code: 'HERALD_ERR_TOPIC_FORBIDDEN',
      message: `Topic "${topic}" is not public, and this user's token does not grant it (its "topics" claim); your backend can ${leaving ? 'take the user out' : 'subscribe the user'} instead.`,
    };
  };

  const change = (subscribe: boolean) => (request: unknown, reply: (r: TopicReply | ErrorReply) => void) =>
    answer(reply, async () => {
      const checked = await check(request, !subscribe);
      if ('ok' in checked) return checked;
      const { topic } = checked;
      if (subscribe) await topics.subscribe(appId, topic, [userId]);
      else await topics.unsubscribe(appId, topic, [userId]);
      return { ok: true as const, topic, subscribed: subscribe };
    });

  socket.on(ClientEvent.Subscribe, change(true));
  socket.on(ClientEvent.Unsubscribe, change(false));
  // A page of up to 1,000 topics in name order; `{ after: nextCursor }` reads the next one.
  socket.on(ClientEvent.Topics, (request, reply) =>
    answer(reply, async (): Promise<TopicsReply | ErrorReply> => {
      // A topic name, as the REST list's cursor (null or none: the first page, as `sync` and
      // `inbox:list` take it): anything else names no place in the list.
      const after = (request as { after?: unknown } | null | undefined)?.after ?? undefined;
      if (after !== undefined && (typeof after !== 'string' || !NAME.test(after))) {
        return {
          ok: false,
          code: 'HERALD_ERR_CURSOR_INVALID',
          message:
            '"after" is the nextCursor of the previous page of topics:list: a topic name, at most 100 characters.',
        };
      }
      const list = await topics.topicsOf(appId, userId, { after, limit: MAX_TOPICS_PER_LIST });
      return { ok: true, topics: list.topics.map((t) => t.topic), nextCursor: list.nextCursor };
    }),
  );
}
