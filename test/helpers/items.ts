import { eq } from 'drizzle-orm';
import { ItemReadSchema } from '../../src/modules/items/items.schemas';
import { items } from '../../src/platform/db/schema';
import { authed, login, registerUser, testDb } from './users';

/** A registered, logged-in user with the bearer token to act as them. */
export async function itemOwner() {
  const user = await registerUser();
  const { access_token } = await login(user);
  return { ...user, token: access_token };
}

/** Creates an item over HTTP as the holder of `token`; returns it with its ETag. */
export async function createItem(
  token: string,
  body: { title: string; description?: string | null } = { title: 'An item' },
) {
  const response = await authed(token, '/items', { method: 'POST', body: JSON.stringify(body) });
  if (response.status !== 201) {
    throw new Error(`create item: ${response.status} ${await response.text()}`);
  }
  const item = ItemReadSchema.parse(await response.json());
  return { ...item, etag: response.headers.get('ETag') ?? '' };
}

/** The item's row as the database holds it (deleted or not). */
export async function itemRow(id: number) {
  const [row] = await testDb().select().from(items).where(eq(items.id, id));
  return row;
}
