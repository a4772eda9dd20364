import { AppError } from '../../lib/errors';
import type { AppRouteHandler } from '../../lib/openapi';
import { resolvePage } from '../../lib/pagination';
import { requestMeta } from '../../lib/request-meta';
import { limitPasswordGuesses } from '../auth/auth.limits';
import * as authSessions from '../auth/auth.sessions';
import type * as routes from './users.routes';
import * as usersService from './users.service';

export const getMe: AppRouteHandler<typeof routes.getMe> = (c) => {
  const { token_version: _, ...user } = c.get('user');
  return c.json(user, 200);
};

export const patchMe: AppRouteHandler<typeof routes.patchMe> = async (c) => {
  const me = c.get('user');
  const input = c.req.valid('json');
  if (input.current_password !== undefined) await limitPasswordGuesses(c, me.email);
  const user = await usersService.updateMe(c.var, me, input, requestMeta(c));
  return c.json(user, 200);
};

export const listMySessions: AppRouteHandler<typeof routes.listMySessions> = async (c) => {
  const sessions = await authSessions.listSessions(c.var, c.get('user').id, c.get('auth').familyId);
  return c.json(sessions, 200);
};

export const deleteMySession: AppRouteHandler<typeof routes.deleteMySession> = async (c) => {
  const { id } = c.req.valid('param');
  const ended = await authSessions.endSession(
    c.var,
    c.get('user').id,
    id,
    'session_revoked',
    requestMeta(c),
  );
  if (!ended) throw new AppError('NOT_FOUND', { detail: 'No such live session' });
  return c.body(null, 204);
};

export const listUsers: AppRouteHandler<typeof routes.listUsers> = async (c) => {
  const { search, ...query } = c.req.valid('query');
  const page = await usersService.listUsers(c.var, resolvePage(c.get('settings'), query), search);
  return c.json(page, 200);
};

export const getUser: AppRouteHandler<typeof routes.getUser> = async (c) => {
  return c.json(await usersService.getUser(c.var, c.req.valid('param').id), 200);
};

export const patchUser: AppRouteHandler<typeof routes.patchUser> = async (c) => {
  const user = await usersService.adminUpdateUser(
    c.var,
    c.get('user').id,
    c.req.valid('param').id,
    c.req.valid('json'),
    requestMeta(c),
  );
  return c.json(user, 200);
};

export const deleteUser: AppRouteHandler<typeof routes.deleteUser> = async (c) => {
  await usersService.deleteUser(c.var, c.get('user').id, c.req.valid('param').id, requestMeta(c));
  return c.body(null, 204);
};
