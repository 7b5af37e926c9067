import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { Errors } from '../../platform/lib/errors.js';
import { hashPassword } from '../../platform/lib/secrets.js';
import { AdminView, adminSession, CreatedAdmin, Ok } from '../../schemas/admin.js';
import { errorResponses } from '../../schemas/common.js';
import { AdminRepository } from './repository.js';

/** The dashboard's accounts and their roles. Viewers read; owners manage admins. */
const adminAccounts: FastifyPluginAsyncTypebox = async (fastify) => {
  const viewer = fastify.requireAdmin('viewer');
  const owner = fastify.requireAdmin('owner');
  const repository = new AdminRepository(fastify.prisma);
  const iso = (d: Date | null) => d?.toISOString() ?? null;

  const AdminBody = Type.Object(
    {
      email: Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', maxLength: 320 }),
      password: Type.String({ minLength: 10, maxLength: 1024 }),
      role: Type.Enum(['owner', 'admin', 'viewer']),
    },
    {
      additionalProperties: false,
      examples: [{ email: 'ops@example.com', password: 'a long passphrase', role: 'viewer' }],
    },
  );
  fastify.get(
    '/admin/api/admins',
    {
      onRequest: viewer,
      schema: {
        summary: 'Dashboard accounts and their roles',
        tags: ['admin'],
        security: adminSession,
        response: { 200: Type.Array(AdminView), ...errorResponses(401) },
      },
    },
    async () => {
      const admins = await repository.list();
      return admins.map((a) => ({
        id: a.id,
        email: a.email,
        role: a.role,
        createdAt: a.createdAt.toISOString(),
        lastLoginAt: iso(a.lastLoginAt),
      }));
    },
  );
  fastify.post(
    '/admin/api/admins',
    {
      onRequest: owner,
      schema: {
        summary: 'Add an admin (owners only)',
        tags: ['admin'],
        security: adminSession,
        body: AdminBody,
        response: { 201: CreatedAdmin, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const email = request.body.email.toLowerCase();
      if (await repository.emailTaken(email)) throw new Errors.AdminExists(email);
      const a = await repository.create({
        email,
        passwordHash: await hashPassword(request.body.password),
        role: request.body.role as 'owner' | 'admin' | 'viewer',
      });
      await fastify.audit.record({
        actor: request.admin.email,
        adminId: request.admin.id,
        action: 'admin.create',
        targetType: 'admin',
        targetId: a.id,
        details: { email, role: a.role },
        ip: request.ip,
      });
      return reply.code(201).send({ id: a.id, email: a.email, role: a.role });
    },
  );
  fastify.delete(
    '/admin/api/admins/:id',
    {
      onRequest: owner,
      schema: {
        tags: ['admin'],
        security: adminSession,
        summary: 'Remove an admin (owners only; never the last owner)',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 200: Ok, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const result = await repository.deleteKeepingAnOwner(request.params.id);
      if ('refused' in result) {
        if (result.refused === 'last-owner') throw new Errors.LastOwner();
        throw new Errors.AdminNotFound(request.params.id);
      }
      const a = result.deleted;
      // Its sessions went with it; its live dashboard channels close on every node.
      await fastify.adminSessions.endAll(a.id);
      await fastify.audit.record({
        actor: request.admin.email,
        adminId: request.admin.id,
        action: 'admin.delete',
        targetType: 'admin',
        targetId: a.id,
        details: { email: a.email },
        ip: request.ip,
      });
      return { ok: true as const };
    },
  );
};

export default adminAccounts;
