import { createHash } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AdminRole } from '../../generated/prisma/client.js';
import { crossOriginReason } from '../../platform/http/same-origin.js';
import { Errors } from '../../platform/lib/errors.js';
import { hashPassword, randomToken, verifyPassword } from '../../platform/lib/secrets.js';
import { SessionRepository } from './repository.js';

export const SESSION_COOKIE = 'herald_session';
const SESSION_TTL_MS = 7 * 24 * 3600 * 1000;
const RANK: Record<AdminRole, number> = { viewer: 0, admin: 1, owner: 2 };

export interface AdminPrincipal {
  id: string;
  email: string;
  role: AdminRole;
  sessionId: string;
  /** When the session expires, ms since the epoch. */
  expiresAt: number;
}

/** Sessions that just ended: one (signed out), or all of an admin's (removed). */
export type EndedSessions = { sessionId: string; reason: 'signed-out' } | { adminId: string; reason: 'removed' };

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler factory: a signed-in admin with at least this role. */
    requireAdmin: (role?: AdminRole) => (request: FastifyRequest) => Promise<void>;
    adminSessions: {
      signIn(
        email: string,
        password: string,
        request: FastifyRequest,
        reply: FastifyReply,
      ): Promise<AdminPrincipal | null>;
      signOut(request: FastifyRequest, reply: FastifyReply): Promise<void>;
      /** Ends every session of an admin (before removing the admin). */
      endAll(adminId: string): Promise<void>;
      fromCookieHeader(cookieHeader: string | undefined): Promise<AdminPrincipal | null>;
      /** Called after sessions end, so that live channels opened with them close too. */
      onEnded(listener: (ended: EndedSessions) => void): void;
    };
  }
  interface FastifyRequest {
    admin: AdminPrincipal;
  }
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Dashboard sign-in: a random session token in an HttpOnly, SameSite=Strict cookie; its hash in
 * PostgreSQL, so sign-out and expiry take effect at once on every node. SameSite=Strict does not
 * stop pages of the same site (another port, a sibling subdomain), and body-less POSTs need no
 * JSON: every state-changing admin request must come from the dashboard's own origin.
 */
export default fp(
  async function adminAuth(fastify: FastifyInstance, opts: { publicUrl?: string }) {
    await fastify.register(fastifyCookie);
    const publicOrigin = opts.publicUrl ? new URL(opts.publicUrl).origin : undefined;
    fastify.addHook('onRequest', async (request) => {
      // By the route the router matched, not the raw URL: the router decodes the path first, so
      // `/%61dmin/api/…` reaches the same routes as `/admin/api/…`.
      if (SAFE_METHODS.has(request.method) || !request.routeOptions.url?.startsWith('/admin/api/')) return;
      const reason = crossOriginReason(request.headers, [request.host, request.headers.host], publicOrigin);
      if (reason) throw new Errors.CrossOrigin(reason);
    });
    // Every state-changing admin route may answer that 403: say so in its documented responses.
    fastify.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      if (!route.url.startsWith('/admin/api/') || methods.every((m) => SAFE_METHODS.has(m))) return;
      const response = route.schema?.response as Record<string, unknown> | undefined;
      if (response && !response['403']) response['403'] = { $ref: 'ErrorResponse' };
    });
    // Unknown emails still cost one scrypt, so timing does not reveal which emails exist.
    const dummyHash = await hashPassword(randomToken(12));

    const sessions = new SessionRepository(fastify.prisma);
    const lookup = async (token: string | undefined): Promise<AdminPrincipal | null> => {
      if (!token) return null;
      const id = hashToken(token);
      const session = await sessions.find(id);
      if (!session || session.expiresAt.getTime() < Date.now()) return null;
      if (Date.now() - session.lastSeenAt.getTime() > 5 * 60_000) await sessions.touch(id);
      return {
        id: session.admin.id,
        email: session.admin.email,
        role: session.admin.role,
        sessionId: id,
        expiresAt: session.expiresAt.getTime(),
      };
    };
    const endedListeners: Array<(ended: EndedSessions) => void> = [];
    const ended = (e: EndedSessions) => {
      for (const listener of endedListeners) listener(e);
    };

    fastify.decorateRequest('admin', null as unknown as AdminPrincipal);
    fastify.decorate('adminSessions', {
      async signIn(email, password, request, reply) {
        const admin = await sessions.adminByEmail(email);
        const ok = await verifyPassword(password, admin?.passwordHash ?? dummyHash);
        if (!admin || !ok) return null;
        const token = randomToken(32);
        const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
        await sessions.start({
          id: hashToken(token),
          adminId: admin.id,
          expiresAt,
          ip: request.ip,
          userAgent: request.headers['user-agent']?.slice(0, 300) ?? null,
        });
        reply.setCookie(SESSION_COOKIE, token, {
          path: '/',
          httpOnly: true,
          sameSite: 'strict',
          // Behind a TLS proxy Herald does not trust, the request reads http: the public URL says https.
          secure: request.protocol === 'https' || publicOrigin?.startsWith('https:') === true,
          maxAge: SESSION_TTL_MS / 1000,
        });
        return {
          id: admin.id,
          email: admin.email,
          role: admin.role,
          sessionId: hashToken(token),
          expiresAt: expiresAt.getTime(),
        };
      },
      async signOut(request, reply) {
        const token = request.cookies[SESSION_COOKIE];
        if (token) {
          const sessionId = hashToken(token);
          await sessions.end(sessionId);
          ended({ sessionId, reason: 'signed-out' });
        }
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
      },
      async endAll(adminId) {
        await sessions.endAll(adminId);
        ended({ adminId, reason: 'removed' });
      },
      onEnded(listener) {
        endedListeners.push(listener);
      },
      async fromCookieHeader(cookieHeader) {
        const cookies = fastify.parseCookie(cookieHeader ?? '');
        return lookup(cookies[SESSION_COOKIE]);
      },
    });

    fastify.decorate('requireAdmin', (role: AdminRole = 'viewer') => async (request: FastifyRequest) => {
      const admin = await lookup(request.cookies[SESSION_COOKIE]);
      if (!admin) throw new Errors.AdminSignInRequired();
      if (RANK[admin.role] < RANK[role]) throw new Errors.AdminForbidden(admin.role, role);
      request.admin = admin;
    });
  },
  { name: 'herald-admin-auth', dependencies: ['herald-database'] },
);
