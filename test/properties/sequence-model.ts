import fc from 'fast-check';
import { expect } from 'vitest';
import { bearer, PASSWORD, type Tokens, uniqueEmail } from '../helpers/users';
import { API, ORIGIN, sendToWorker } from '../helpers/worker';
import { contractViolations, loadOperations, type Operation } from './openapi-contract';

// The model of the stateful sequences: accounts, their sessions, items and posts, and the
// commands that act on the real service and check each answer against what the model expects.
// Every answer must also keep its operation's contract (no 5xx, declared status and body).

const MAX_USERS = 3;

const operations = await loadOperations();

interface Account {
  id: number;
  email: string;
  active: boolean;
  deleted: boolean;
  editor: boolean;
  /** Bumped by every change that retires the account's access tokens. */
  version: number;
}

interface Session {
  account: number;
  access: string;
  /** The account version the access token was issued under. */
  version: number;
  refresh: string;
  /** Refresh tokens this session already rotated away from. */
  used: string[];
  /** False once the session (its refresh-token family) has ended. */
  live: boolean;
}

interface Resource {
  id: number;
  owner: number;
  published: boolean;
  deleted: boolean;
}

/** What the model expects, with the handles (ids, tokens) to act on the real thing. */
export interface Model {
  /** The superuser's access token, for the admin actions. */
  admin: string;
  /** Unique to the run: titles carry it, so lists can be narrowed to this run's rows. */
  tag: string;
  accounts: Account[];
  sessions: Session[];
  items: Resource[];
  posts: Resource[];
}

let sent = 0;

/** One request of the sequence, checked against its operation's contract. */
async function request(
  method: string,
  template: string,
  path: string,
  init: { token?: string; json?: unknown; form?: Record<string, string> } = {},
) {
  const operation = operations.find((o) => o.method === method && o.path === template) as Operation;
  sent += 1;
  const headers = new Headers({ 'CF-Connecting-IP': `2001:db8:25:${sent.toString(16)}::1` });
  if (init.token) headers.set('Authorization', bearer(init.token).Authorization);
  let body: string | undefined;
  if (init.json !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(init.json);
  } else if (init.form) {
    headers.set('Content-Type', 'application/x-www-form-urlencoded');
    body = new URLSearchParams(init.form).toString();
  }
  const response = await sendToWorker(
    new Request(`${ORIGIN}${API}${path}`, { method, headers, body }),
  );
  const problems = await contractViolations(operation, response.clone());
  expect(problems, `${method} ${path}`).toEqual([]);
  return response;
}

/** Whether the real service must accept the session's access token. */
function accepted(m: Model, session: Session): boolean {
  const account = m.accounts[session.account] as Account;
  return session.live && account.active && !account.deleted && session.version === account.version;
}

/** Every session of the account ends (deactivation, deletion). */
function endSessions(m: Model, account: number) {
  for (const session of m.sessions) if (session.account === account) session.live = false;
}

type Command = fc.AsyncCommand<Model, Model>;

/** A command on the `n`th account or session (modulo how many there are), when there is one. */
abstract class Pick {
  constructor(readonly n: number) {}
  check(m: Readonly<Model>) {
    return this.count(m) > 0;
  }
  abstract readonly count: (m: Readonly<Model>) => number;
  index(m: Readonly<Model>) {
    return this.n % this.count(m);
  }
}

/** A command acting through one of the model's sessions, picked by `n`. */
abstract class PickSession extends Pick {
  override count = (m: Readonly<Model>) => m.sessions.length;
  session(m: Readonly<Model>): Session {
    return m.sessions[this.index(m)] as Session;
  }
}

export class Register implements Command {
  check(m: Readonly<Model>) {
    return m.accounts.length < MAX_USERS;
  }
  async run(m: Model) {
    const email = uniqueEmail('sequence');
    const response = await request('POST', '/auth/register', '/auth/register', {
      json: { email, password: PASSWORD, first_name: 'Seq', last_name: 'Uence' },
    });
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: number };
    m.accounts.push({ id, email, active: true, deleted: false, editor: false, version: 0 });
  }
  toString() {
    return 'register';
  }
}

export class Login extends Pick implements Command {
  override count = (m: Readonly<Model>) => m.accounts.length;
  async run(m: Model) {
    const account = m.accounts[this.index(m)] as Account;
    const response = await request('POST', '/auth/jwt/login', '/auth/jwt/login', {
      form: { username: account.email, password: PASSWORD },
    });
    if (!account.active || account.deleted) {
      expect(response.status).toBe(400);
      return;
    }
    expect(response.status).toBe(200);
    const tokens = (await response.json()) as Tokens;
    m.sessions.push({
      account: this.index(m),
      access: tokens.access_token,
      version: account.version,
      refresh: tokens.refresh_token,
      used: [],
      live: true,
    });
  }
  override toString() {
    return `login(account ${this.n})`;
  }
}

class Me extends PickSession implements Command {
  async run(m: Model) {
    const session = this.session(m);
    const response = await request('GET', '/users/me', '/users/me', { token: session.access });
    if (!accepted(m, session)) {
      expect(response.status, 'a token the model says is dead was accepted').toBe(401);
      return;
    }
    expect(response.status).toBe(200);
    const me = (await response.json()) as { id: number };
    expect(me.id).toBe(m.accounts[session.account]?.id);
  }
  override toString() {
    return `me(session ${this.n})`;
  }
}

class Refresh extends PickSession implements Command {
  constructor(
    n: number,
    readonly stale: boolean,
  ) {
    super(n);
  }
  override check(m: Readonly<Model>) {
    return super.check(m) && (!this.stale || (m.sessions[this.index(m)]?.used.length ?? 0) > 0);
  }
  async run(m: Model) {
    const session = this.session(m);
    const account = m.accounts[session.account] as Account;
    const token = this.stale ? (session.used[0] as string) : session.refresh;
    const response = await request('POST', '/auth/jwt/refresh', '/auth/jwt/refresh', {
      json: { refresh_token: token },
    });
    if (this.stale || !session.live || !account.active || account.deleted) {
      expect(response.status, 'a refresh token the model says is dead was accepted').toBe(401);
      // Presenting a rotated token is theft: the whole session ends.
      if (this.stale) session.live = false;
      return;
    }
    expect(response.status).toBe(200);
    const tokens = (await response.json()) as Tokens;
    session.used.push(session.refresh);
    session.refresh = tokens.refresh_token;
    session.access = tokens.access_token;
    session.version = account.version;
  }
  override toString() {
    return `refresh(session ${this.n}${this.stale ? ', an already used token' : ''})`;
  }
}

class Logout extends PickSession implements Command {
  async run(m: Model) {
    const session = this.session(m);
    const response = await request('POST', '/auth/jwt/logout', '/auth/jwt/logout', {
      token: session.access,
    });
    expect(response.status).toBe(accepted(m, session) ? 204 : 401);
    session.live = false;
  }
  override toString() {
    return `logout(session ${this.n})`;
  }
}

class PatchMe extends PickSession implements Command {
  async run(m: Model) {
    const session = this.session(m);
    const response = await request('PATCH', '/users/me', '/users/me', {
      token: session.access,
      json: { first_name: `Name${this.n}` },
    });
    expect(response.status).toBe(accepted(m, session) ? 200 : 401);
  }
  override toString() {
    return `patch me(session ${this.n})`;
  }
}

/** A superuser's change to an account: deactivate, reactivate, delete, or grant `editor`. */
class Admin extends Pick implements Command {
  constructor(
    n: number,
    readonly action: 'deactivate' | 'activate' | 'delete' | 'promote',
  ) {
    super(n);
  }
  override count = (m: Readonly<Model>) => m.accounts.length;
  async run(m: Model) {
    const index = this.index(m);
    const account = m.accounts[index] as Account;
    const id = account.id;
    let response: Response;
    if (this.action === 'delete') {
      response = await request('DELETE', '/users/{id}', `/users/${id}`, {
        token: m.admin,
      });
    } else if (this.action === 'promote') {
      response = await request(
        'PUT',
        '/rbac/users/{id}/roles/{role}',
        `/rbac/users/${id}/roles/editor`,
        {
          token: m.admin,
        },
      );
    } else {
      response = await request('PATCH', '/users/{id}', `/users/${id}`, {
        token: m.admin,
        json: { is_active: this.action === 'activate' },
      });
    }
    if (account.deleted) {
      expect(response.status).toBe(404);
      return;
    }
    expect(response.status).toBe(this.action === 'delete' || this.action === 'promote' ? 204 : 200);
    if (this.action === 'promote') {
      account.editor = true;
      return;
    }
    account.version += 1;
    if (this.action === 'delete') account.deleted = true;
    account.active = this.action === 'activate';
    if (this.action !== 'activate') endSessions(m, index);
  }
  override toString() {
    return `admin ${this.action}(account ${this.n})`;
  }
}

class CreateItem extends PickSession implements Command {
  async run(m: Model) {
    const session = this.session(m);
    const response = await request('POST', '/items', '/items', {
      token: session.access,
      json: { title: `${m.tag} item` },
    });
    if (!accepted(m, session)) {
      expect(response.status).toBe(401);
      return;
    }
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: number };
    m.items.push({ id, owner: session.account, published: false, deleted: false });
  }
  override toString() {
    return `create item(session ${this.n})`;
  }
}

/** Reads (or deletes) an item: only its owner sees it, and only until it is deleted. */
class ItemAccess implements Command {
  constructor(
    readonly session: number,
    readonly item: number,
    readonly remove: boolean,
  ) {}
  check(m: Readonly<Model>) {
    return m.sessions.length > 0 && m.items.length > 0;
  }
  async run(m: Model) {
    const session = m.sessions[this.session % m.sessions.length] as Session;
    const item = m.items[this.item % m.items.length] as Resource;
    const response = await request(
      this.remove ? 'DELETE' : 'GET',
      '/items/{id}',
      `/items/${item.id}`,
      { token: session.access },
    );
    if (!accepted(m, session)) {
      expect(response.status).toBe(401);
      return;
    }
    const visible = item.owner === session.account && !item.deleted;
    expect(response.status, 'someone else’s or a deleted item').toBe(
      visible ? (this.remove ? 204 : 200) : 404,
    );
    if (visible && this.remove) item.deleted = true;
  }
  toString() {
    return `${this.remove ? 'delete' : 'read'} item ${this.item}(session ${this.session})`;
  }
}

class CreatePost extends PickSession implements Command {
  constructor(
    n: number,
    readonly published: boolean,
  ) {
    super(n);
  }
  async run(m: Model) {
    const session = this.session(m);
    const response = await request('POST', '/posts', '/posts', {
      token: session.access,
      json: { title: `${m.tag} post`, content: 'text', published: this.published },
    });
    if (!accepted(m, session)) {
      expect(response.status).toBe(401);
      return;
    }
    if (!m.accounts[session.account]?.editor) {
      expect(response.status, 'a viewer created a post').toBe(403);
      return;
    }
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: number };
    m.posts.push({ id, owner: session.account, published: this.published, deleted: false });
  }
  override toString() {
    return `create ${this.published ? 'published' : 'draft'} post(session ${this.n})`;
  }
}

/** A post is seen when published, by its author, or by an editor; a list shows only those. */
const seesPost = (m: Model, session: Session, post: Resource) =>
  !post.deleted &&
  (post.published || post.owner === session.account || !!m.accounts[session.account]?.editor);

class ReadPost implements Command {
  constructor(
    readonly session: number,
    readonly post: number,
  ) {}
  check(m: Readonly<Model>) {
    return m.sessions.length > 0 && m.posts.length > 0;
  }
  async run(m: Model) {
    const session = m.sessions[this.session % m.sessions.length] as Session;
    const post = m.posts[this.post % m.posts.length] as Resource;
    const response = await request('GET', '/posts/{id}', `/posts/${post.id}`, {
      token: session.access,
    });
    if (!accepted(m, session)) {
      expect(response.status).toBe(401);
      return;
    }
    expect(response.status, 'someone else’s draft').toBe(seesPost(m, session, post) ? 200 : 404);
  }
  toString() {
    return `read post ${this.post}(session ${this.session})`;
  }
}

class ListPosts extends PickSession implements Command {
  async run(m: Model) {
    const session = this.session(m);
    const response = await request('GET', '/posts', `/posts?limit=100&q=${m.tag}`, {
      token: session.access,
    });
    if (!accepted(m, session)) {
      expect(response.status).toBe(401);
      return;
    }
    expect(response.status).toBe(200);
    const page = (await response.json()) as { items: { id: number }[] };
    const expected = m.posts.filter((post) => seesPost(m, session, post)).map((post) => post.id);
    expect(page.items.map((post) => post.id).sort()).toEqual(expected.sort());
  }
  override toString() {
    return `list posts(session ${this.n})`;
  }
}

const index = fc.nat({ max: 7 });
const ending = fc.constantFrom<Admin['action']>('deactivate', 'activate', 'delete');
/** Each command once, and more often the cheap reads and those that need earlier state. */
export const commands = [
  fc.constant(new Register()),
  index.map((n) => new Login(n)),
  fc.tuple(index, ending).map(([n, action]) => new Admin(n, action)),
  ...Array.from({ length: 2 }, () => [
    index.map((n) => new Me(n)),
    fc.tuple(index, fc.boolean()).map(([n, stale]) => new Refresh(n, stale)),
    index.map((n) => new Admin(n, 'promote')),
    index.map((n) => new CreateItem(n)),
    fc.tuple(index, index, fc.boolean()).map(([s, i, remove]) => new ItemAccess(s, i, remove)),
    fc.tuple(index, fc.boolean()).map(([n, published]) => new CreatePost(n, published)),
    fc.tuple(index, index).map(([s, p]) => new ReadPost(s, p)),
  ]).flat(),
  index.map((n) => new Logout(n)),
  index.map((n) => new PatchMe(n)),
  index.map((n) => new ListPosts(n)),
];
