/** The spellings of one word group (`blog posts`) in each place the code needs one. */
interface Spellings {
  /** `blog-posts`: folders, files, URL paths. */
  kebab: string;
  /** `blog_posts`: tables, task names, SQL identifiers. */
  snake: string;
  /** `blogPosts`: variables and functions. */
  camel: string;
  /** `BlogPosts`: types and schemas. */
  pascal: string;
  /** `BLOG_POSTS`: constants. */
  constant: string;
}

/** A module's name, plural (the resource collection) and singular (one resource). */
export interface ModuleNames {
  plural: Spellings;
  singular: Spellings;
}

const NAME = /^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$/;

/** Module names taken by the app, or that would read as one of its parts. */
const RESERVED_MODULES = [
  'admin',
  'api',
  'audit',
  'auth',
  'docs',
  'health',
  'items',
  'jobs',
  'login',
  'logout',
  'module',
  'modules',
  'oauth',
  'oauth_accounts',
  'permissions',
  'rbac',
  'roles',
  'sessions',
  'settings',
  'tokens',
  'user',
  'users',
];

/** JavaScript and TypeScript reserved words, and SQL keywords Postgres reserves. */
export const KEYWORDS = new Set(
  `abstract all analyse analyze and any array as asc assert async await boolean break case cast
  catch char check class collate column const constraint continue create current_date
  current_role current_time current_timestamp current_user debugger declare default deferrable
  delete desc distinct do else end enum except export extends false fetch finally for foreign
  from function grant group having if implements import in infer initially instanceof interface
  intersect into is keyof leading let limit localtime localtimestamp namespace new not null of
  offset on only or order package placing primary private protected public readonly references
  return returning select session_user some static super switch symbol table then this throw to
  trailing true try type typeof undefined union unique user using var variadic void when where
  while window with yield`.split(/\s+/),
);

function spell(words: string[]): Spellings {
  const capital = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
  return {
    kebab: words.join('-'),
    snake: words.join('_'),
    camel: words.map((word, i) => (i === 0 ? word : capital(word))).join(''),
    pascal: words.map(capital).join(''),
    constant: words.join('_').toUpperCase(),
  };
}

function singularOf(word: string): string | undefined {
  if (/[^aeiou]ies$/.test(word)) return `${word.slice(0, -3)}y`;
  if (/(ss|us|is)$/.test(word) || !word.endsWith('s')) return undefined;
  return word.slice(0, -1);
}

/**
 * Checks a module name (plural, lowercase kebab or snake case) and spells it every way the
 * generated code needs. Throws an `Error` whose message says what is wrong and what to do.
 *
 * @example
 * moduleNames('blog-posts').singular.pascal; // 'BlogPost'
 */
export function moduleNames(name: string, singular?: string): ModuleNames {
  if (!NAME.test(name)) {
    throw new Error(
      `"${name}" is not a module name: use lowercase letters and digits, words joined by - or _ (e.g. widgets, blog-posts)`,
    );
  }
  const words = name.split(/[-_]/);
  const plural = spell(words);
  if (RESERVED_MODULES.includes(plural.snake)) {
    throw new Error(`"${name}" is reserved: the app already has (or plans) a part by that name`);
  }
  const last = words.at(-1) ?? '';
  const one = singular ?? singularOf(last);
  if (!one) {
    throw new Error(
      `"${name}" does not look plural: name the collection (widgets), or give --singular <word>`,
    );
  }
  if (!NAME.test(one) || /[-_]/.test(one) || one === last) {
    throw new Error(
      `--singular "${one}" must be one lowercase word, other than the last word of the name`,
    );
  }
  const names = { plural, singular: spell([...words.slice(0, -1), one]) };
  for (const word of [names.plural.snake, names.singular.snake, names.plural.camel, one]) {
    if (KEYWORDS.has(word)) {
      throw new Error(
        `"${name}" would make "${word}", a JavaScript or SQL keyword: choose another`,
      );
    }
  }
  return names;
}

/**
 * Renames the items module's identifiers, paths and strings to `names`: `ITEMS_CACHE` →
 * `BLOG_POSTS_CACHE`, `ItemRead` → `BlogPostRead`, `itemsService` → `blogPostsService`, `'/items'` →
 * `'/blog-posts'`, `'items_owner_id_idx'` → `'blog_posts_owner_id_idx'`. A list page's `items`
 * (`page.items`, `{ items: … }`) belongs to every list, not to the module: it stays.
 */
export function renameItems(text: string, names: ModuleNames): string {
  const { plural, singular } = names;
  // "an item" → "a widget", "an order"
  const article = /^[aeiou]/.test(singular.kebab) ? 'n' : '';
  const articled = text.replace(/\b([Aa])n (?=item\b)/g, (_, a: string) => `${a}${article} `);
  return articled.replace(/ITEMS|ITEM|Items|Item|items|item/g, (match, offset: number) => {
    const before = articled.charAt(offset - 1);
    const after = articled.charAt(offset + match.length);
    const many = match.length === 5;
    const forms = many ? plural : singular;
    if (match === 'ITEMS' || match === 'ITEM') return forms.constant;
    if (match === 'Items' || match === 'Item') return forms.pascal;
    if (before === '_' || after === '_') return forms.snake;
    if (many && (before === '.' || (after === ':' && before !== "'"))) return match;
    if (before === '/') return forms.kebab;
    if (before === "'") return forms.snake;
    return forms.camel;
  });
}
