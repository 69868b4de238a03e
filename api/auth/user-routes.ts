import type { Router } from 'express';
import type { RouteCatalogue } from '../http/route-catalogue';
import { parseOrThrow } from '../http/validate';
import { commonErrors, errorResponse, jsonBody } from '../openapi/common-schemas';
import { CreateUserSchema, IdParamsSchema, UpdateUserSchema, UserListSchema, UserSchema } from './auth-schemas';
import { toUserDto } from './dto';
import type { UserAdmin } from './user-admin';
import { auditNote } from '../audit/audit-calls';

const BASE = '/api/v1';
const tags = ['Users'];
const notFound = errorResponse('NOT_FOUND: no such user');
const lastAdmin = errorResponse('CONFLICT: the username is taken, or the change would leave no enabled Admin');

/** Password users: create, list, change role / disable / reset password, delete (permission users:manage). */
export function userRoutes(router: Router, catalogue: RouteCatalogue, admin: UserAdmin): void {
  catalogue.add(
    router, BASE, 'post', '/users', 'users:manage',
    { tags, summary: 'Create a user', request: { body: jsonBody(CreateUserSchema) }, responses: { 201: jsonBody(UserSchema, 'Created'), ...commonErrors, 409: lastAdmin } },
    async (req, res) => {
      const body = parseOrThrow(CreateUserSchema, req.body ?? {});
      const user = toUserDto(await admin.create(body));
      auditNote(res, { target: { type: 'user', id: user.id }, after: user });
      res.status(201).json(user);
    },
  );

  catalogue.add(
    router, BASE, 'get', '/users', 'users:manage',
    { tags, summary: 'List users', responses: { 200: jsonBody(UserListSchema, 'Users'), ...commonErrors } },
    async (_req, res) => {
      res.json({ users: (await admin.list()).map(toUserDto) });
    },
  );

  catalogue.add(
    router, BASE, 'patch', '/users/:id', 'users:manage',
    {
      tags,
      summary: 'Change a user (role, disabled, password)',
      description: 'Disabling or demoting the last enabled Admin is refused with 409.',
      request: { params: IdParamsSchema, body: jsonBody(UpdateUserSchema) },
      responses: { 200: jsonBody(UserSchema, 'Updated'), ...commonErrors, 404: notFound, 409: lastAdmin },
    },
    async (req, res) => {
      const { id } = parseOrThrow(IdParamsSchema, req.params);
      const body = parseOrThrow(UpdateUserSchema, req.body ?? {});
      const { before, after } = await admin.update(id, body);
      // The DTOs carry no password hash; a password change shows as its own detail.
      auditNote(res, { target: { type: 'user', id }, before: toUserDto(before), after: toUserDto(after), details: { passwordChanged: body.password !== undefined } });
      res.json(toUserDto(after));
    },
  );

  catalogue.add(
    router, BASE, 'delete', '/users/:id', 'users:manage',
    {
      tags,
      summary: 'Delete a user',
      description: 'Deleting the last enabled Admin is refused with 409.',
      request: { params: IdParamsSchema },
      responses: { 204: { description: 'Deleted' }, ...commonErrors, 404: notFound, 409: lastAdmin },
    },
    async (req, res) => {
      const { id } = parseOrThrow(IdParamsSchema, req.params);
      await admin.delete(id);
      res.status(204).end();
    },
  );
}
