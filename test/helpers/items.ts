import { eq } from 'drizzle-orm';
import { type ItemCreate, ItemReadSchema } from '../../src/modules/items/items.schemas';
import { items } from '../../src/platform/db/schema';
import { authed, login, registerUser, testDb } from './users';

// #region fields
/** A valid create body, distinct for every `n`, ordered by `n` on every sortable field. */
export const sampleItem = (n: number): ItemCreate => ({
  title: `title ${String(n).padStart(4, '0')}`,
  description: `Some description ${String(n).padStart(4, '0')}`,
});

/** `sampleItem(n)` without its optional fields. */
export const requiredItem = (n: number): ItemCreate => ({
  title: `title ${String(n).padStart(4, '0')}`,
});

/** A PATCH giving one field a value no sample has. */
export const ITEM_CHANGE = { title: 'Changed' };

/** A create body with a field of the wrong type. */
export const MISTYPED_ITEM = { ...sampleItem(0), title: 7 };

/** A sortable field besides the timestamps. */
export const ITEM_SORT = 'title';

/** What `q` finds in `sampleItem(n)` and in no other sample. */
export const itemSearchTerm = (n: number) => String(sampleItem(n).title).toUpperCase();
// #endregion fields

/** A registered, logged-in user with the bearer token to act as them. */
export async function itemOwner() {
  const user = await registerUser();
  const { access_token } = await login(user);
  return { ...user, token: access_token };
}

/** Creates an item over HTTP as the holder of `token`; returns it with its ETag. */
export async function createItem(token: string, body: ItemCreate = sampleItem(0)) {
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
