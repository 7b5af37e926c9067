import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PUSH_RECEIPT_EVENTS, type PushReceiptEvent } from '@herald/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import Type, { type Static } from 'typebox';
import type { CachedApp } from '../auth/app-directory.js';
import { appOf, type ReceiptClaims, verifyToken } from '../delivery/push/receipts.js';
import { appSecrets } from '../delivery/push/subscriptions.js';
import { Errors } from '../platform/lib/errors.js';
import { isStorableText, isUuid } from '../platform/lib/text.js';
import { errorResponses } from '../schemas/common.js';

const ReceiptBody = Type.Object(
  {
    receipt: Type.String({ minLength: 1, maxLength: 2000, description: 'The `receipt` of the push message' }),
    event: Type.Enum(PUSH_RECEIPT_EVENTS, { description: 'What happened to the notification in this browser' }),
  },
  { additionalProperties: false },
);

const RenewBody = Type.Object(
  {
    renew: Type.String({ minLength: 1, maxLength: 2000, description: 'The token `push:subscribe` answered with' }),
    subscription: Type.Object({
      endpoint: Type.String({ minLength: 1, maxLength: 2048 }),
      keys: Type.Object({ p256dh: Type.String({ maxLength: 200 }), auth: Type.String({ maxLength: 100 }) }),
      expirationTime: Type.Optional(Type.Union([Type.Null(), Type.Number()])),
    }),
  },
  { additionalProperties: false },
);

/** Bytes a receipt or renewal body may have (each is a few hundred bytes to 2 KB). */
const BODY_LIMIT = 8192;

const COLUMN: Record<PushReceiptEvent, string> = {
  displayed: 'displayed_at',
  clicked: 'clicked_at',
  closed: 'closed_at',
};

/** A request's path as the router reads it (escapes decoded), for a request no route matched. */
function decodedPath(url: string): string {
  const path = url.split('?')[0] ?? '';
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * Every answer under /push/ is readable from the site's origin, refusals included: a worker must
 * see the code of a 400, 405, 413 or 415 and the Retry-After of a 429. Registered on the root
 * (not inside the routes' plugin), so the 404s and 405s of the not-found handler have it too.
 */
export const pushCors = fp(
  async (fastify: FastifyInstance) => {
    fastify.addHook('onRequest', async (request, reply) => {
      if (!(request.routeOptions.url ?? decodedPath(request.url)).startsWith('/push/')) return;
      reply.header('access-control-allow-origin', '*');
      reply.header('access-control-allow-methods', 'POST');
      reply.header('access-control-allow-headers', 'content-type');
      reply.header('access-control-expose-headers', 'retry-after');
      reply.header('access-control-max-age', '86400');
    });
  },
  { name: 'herald-push-cors' },
);

/**
 * What Herald's service worker reports (docs/web-push.md): receipts of pushed notifications
 * (displayed, clicked, closed) and a browser's new subscription after `pushsubscriptionchange`.
 * The worker has no user token: each request carries a token Herald signed (the push's receipt,
 * the subscription's renewal token). Called from the site's origin, so CORS is open; limited per
 * browser (receipts) or per address.
 */
const push: FastifyPluginAsyncTypebox = async (fastify) => {
  // The worker posts JSON from the site's origin: browsers ask first (CORS preflight).
  for (const path of ['/push/receipts', '/push/renew']) {
    fastify.options(
      path,
      {
        schema: {
          summary: `CORS preflight for ${path}`,
          description: 'Any origin may post here (the body carries a token Herald signed); answered with no body.',
          tags: ['push'],
          response: { 204: Type.Null() },
        },
      },
      async (_request, reply) => reply.code(204).send(null),
    );
  }

  /** A receipt's claims if `app`'s secret signed it and it names a notification and a browser. */
  const claimsOf = (receipt: string, app: CachedApp | undefined): ReceiptClaims | undefined => {
    const claims = app ? verifyToken<ReceiptClaims>(receipt, appSecrets(app)) : undefined;
    // Signed with the app's secret is not enough: a token of another kind (or made by hand) may lack the claims.
    return app &&
      claims &&
      claims.a === app.id &&
      typeof claims.n === 'string' &&
      isUuid(claims.n) &&
      typeof claims.s === 'string' &&
      isStorableText(claims.s)
      ? claims
      : undefined;
  };
  // Checked before the rate limit, which counts a signed receipt against its browser — with the
  // apps this node has in memory only: a receipt naming an app it would have to read (or one that
  // does not exist) counts against the address first, and is read after.
  const receipts = new WeakMap<FastifyRequest, ReceiptClaims>();
  const verifyReceipt = async (request: FastifyRequest<{ Body: Static<typeof ReceiptBody> }>) => {
    const appId = appOf(request.body.receipt);
    const claims = appId ? claimsOf(request.body.receipt, fastify.apps.cached(appId)) : undefined;
    if (claims) receipts.set(request, claims);
  };

  fastify.post(
    '/push/receipts',
    {
      // A receipt body is some 1 KB; the limit keeps a flood's bodies from costing more.
      bodyLimit: BODY_LIMIT,
      preHandler: [verifyReceipt, fastify.pushRateLimit((request) => receipts.get(request)?.s)],
      schema: {
        summary: 'Report what happened to a pushed notification (service worker)',
        description:
          "Herald's service worker posts this when it shows a pushed notification, when it is clicked and when " +
          'it is closed. `receipt` comes with the push; it names the notification and the browser and expires ' +
          "with the notification. The user's delivery moves forward as for a report from a tab. At most 300 " +
          'receipts a minute per browser, and 600 a minute per address for receipts Herald did not sign.',
        tags: ['push'],
        body: ReceiptBody,
        response: { 204: Type.Null(), ...errorResponses(400, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      const { receipt, event } = request.body;
      let claims = receipts.get(request);
      if (!claims) {
        const appId = appOf(receipt);
        claims = appId ? claimsOf(receipt, await fastify.apps.get(appId)) : undefined;
      }
      if (!claims) {
        throw new Errors.ReceiptInvalid('not signed by Herald, for another app, or expired with its notification');
      }
      const [row] = await fastify.sql.query<{ subscriber_id: string }>(
        `UPDATE push_deliveries SET ${COLUMN[event]} = COALESCE(${COLUMN[event]}, now())
          WHERE notification_id = $1::uuid AND subscription_id = $2 AND app_id = $3
          RETURNING subscriber_id`,
        [claims.n, claims.s, claims.a],
      );
      if (!row) throw new Errors.ReceiptInvalid('no push of this notification went to this browser');
      fastify.metrics.pushReceipts.inc({ event });
      fastify.recorder.record(event, claims.n, row.subscriber_id);
      return reply.code(204).send(null);
    },
  );

  fastify.post(
    '/push/renew',
    {
      bodyLimit: BODY_LIMIT,
      onRequest: fastify.pushRateLimit(),
      schema: {
        summary: "Replace a browser's push subscription (service worker, pushsubscriptionchange)",
        description:
          'The browser replaced its push subscription; its service worker sends the new one with the renewal ' +
          "token `push:subscribe` gave. The new subscription takes the old one's place (same user); the reply " +
          'is the token to keep for the next change.',
        tags: ['push'],
        body: RenewBody,
        response: {
          200: Type.Object({ renew: Type.String() }),
          ...errorResponses(400, 413, 415, 429),
        },
      },
    },
    async (request) => {
      const result = await fastify.pushSubscriptions.renew(request.body.renew, request.body.subscription);
      if (!result.ok) {
        if (result.code === 'HERALD_ERR_PUSH_ENDPOINT') throw new Errors.PushEndpoint(result.message);
        if (result.code === 'HERALD_ERR_VALIDATION') throw new Errors.Invalid(result.message);
        throw new Errors.RenewInvalid(result.message);
      }
      return { renew: result.renew };
    },
  );
};

export default push;
