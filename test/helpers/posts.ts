import { eq } from 'drizzle-orm';
import { PostReadSchema } from '../../src/modules/posts/posts.schemas';
import { posts } from '../../src/platform/db/schema';
import { authed, login, registerUser, superuser, testDb } from './users';

let root: Promise<string> | undefined;
/** A superuser's token (one per test file): manages roles through the RBAC admin API. */
export function rootToken(): Promise<string> {
  root ??= superuser().then((user) => user.tokens.access_token);
  return root;
}

/** Grants (`PUT`) or revokes (`DELETE`) `role` of user `userId` through the RBAC admin API. */
export async function setRole(method: 'PUT' | 'DELETE', userId: number, role: string) {
  const response = await authed(await rootToken(), `/rbac/users/${userId}/roles/${role}`, {
    method,
  });
  if (response.status !== 204) {
    throw new Error(`${method} role ${role}: ${response.status} ${await response.text()}`);
  }
}

/**
 * A registered, logged-in user with the bearer token to act as them; every account is a
 * `viewer`, and `role` adds another through the RBAC admin API.
 */
export async function postsUser(role?: 'editor' | 'admin') {
  const user = await registerUser();
  if (role) await setRole('PUT', user.id, role);
  const { access_token } = await login(user);
  return { ...user, token: access_token };
}

/** Creates a post over HTTP as the holder of `token`; returns it with its ETag. */
export async function createPost(
  token: string,
  body: { title?: string; content?: string; published?: boolean } = {},
) {
  const response = await authed(token, '/posts', {
    method: 'POST',
    body: JSON.stringify({ title: 'A post', content: 'Some text', ...body }),
  });
  if (response.status !== 201) {
    throw new Error(`create post: ${response.status} ${await response.text()}`);
  }
  const post = PostReadSchema.parse(await response.json());
  return { ...post, etag: response.headers.get('ETag') ?? '' };
}

/** The post's row as the database holds it (deleted or not). */
export async function postRow(id: number) {
  const [row] = await testDb().select().from(posts).where(eq(posts.id, id));
  return row;
}
