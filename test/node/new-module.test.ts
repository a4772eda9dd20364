import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIELDS, parseFields } from '../../dev/new-module/fields';
import { moduleNames, renameItems } from '../../dev/new-module/names';
import { conflicts, planModule } from '../../dev/new-module/plan';

// `npm run new:module` (issue 16). CI also generates modules into a scratch copy and runs their
// tests, typecheck and lint there (`npm run check:generator`).

const ROOT = join(import.meta.dirname, '..', '..');

function newModule(...args: string[]) {
  return spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['dev/new-module.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
}

const gitStatus = () =>
  execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' });

describe('module names', () => {
  it('spells a kebab or snake name every way the code needs, singular too', () => {
    for (const name of ['blog-posts', 'blog_posts']) {
      expect(moduleNames(name)).toEqual({
        plural: {
          kebab: 'blog-posts',
          snake: 'blog_posts',
          camel: 'blogPosts',
          pascal: 'BlogPosts',
          constant: 'BLOG_POSTS',
        },
        singular: {
          kebab: 'blog-post',
          snake: 'blog_post',
          camel: 'blogPost',
          pascal: 'BlogPost',
          constant: 'BLOG_POST',
        },
      });
    }
    expect(moduleNames('categories').singular.camel).toBe('category');
    expect(moduleNames('people', 'person').singular.pascal).toBe('Person');
  });

  it.each([
    ['Widgets', /not a module name/],
    ['my widgets', /not a module name/],
    ['widgets-', /not a module name/],
    ['2widgets', /not a module name/],
    ['users', /reserved/],
    ['auth', /reserved/],
    ['items', /reserved/],
    ['selects', /"select", a JavaScript or SQL keyword/],
    ['cases', /"case", a JavaScript or SQL keyword/],
    ['tables', /"table", a JavaScript or SQL keyword/],
    ['data', /does not look plural/],
  ])('refuses %s with a message saying why', (name, message) => {
    expect(() => moduleNames(name)).toThrow(message);
  });

  it("renames the model's identifiers, paths and SQL names, keeping a list page's items key", () => {
    const names = moduleNames('blog-posts');
    const model = [
      "import * as itemsService from './items.service';",
      "const ITEMS_CACHE = { name: 'items' };",
      "index('items_owner_id_idx'); task('purge_deleted_items');",
      'export async function getItem(id: number): Promise<ItemRead> {}',
      'authed(token, `/items/` + item.id); return { ...page, items: page.items.map(toItemRead) };',
      '/** Creates an item. */',
    ].join('\n');
    expect(renameItems(model, names).split('\n')).toEqual([
      "import * as blogPostsService from './blog-posts.service';",
      "const BLOG_POSTS_CACHE = { name: 'blog_posts' };",
      "index('blog_posts_owner_id_idx'); task('purge_deleted_blog_posts');",
      'export async function getBlogPost(id: number): Promise<BlogPostRead> {}',
      'authed(token, `/blog-posts/` + blogPost.id); return { ...page, items: page.items.map(toBlogPostRead) };',
      '/** Creates a blogPost. */',
    ]);
  });
});

describe('--fields', () => {
  it('parses names, types and optional fields', () => {
    expect(parseFields(' title:string, done : boolean?, due_at:timestamp?,count:integer ')).toEqual(
      [
        { name: 'title', key: 'title', type: 'string', optional: false },
        { name: 'done', key: 'done', type: 'boolean', optional: true },
        { name: 'due_at', key: 'dueAt', type: 'timestamp', optional: true },
        { name: 'count', key: 'count', type: 'integer', optional: false },
      ],
    );
  });

  it.each([
    ['', /empty/],
    ['title', /not name:type/],
    ['Title:string', /not name:type/],
    ['title:float', /"float" in "title:float" is not one of string, text, integer, boolean/],
    ['owner_id:integer', /"owner_id" is reserved/],
    ['default:string', /"default" is reserved/],
    ['a:string, a:text', /"a" is given twice/],
  ])('refuses %j with a message saying why', (spec, message) => {
    expect(() => parseFields(spec)).toThrow(message);
  });
});

describe('the plan', () => {
  it('derives every file from the items module, registered with its one line', () => {
    const files = planModule(
      ROOT,
      moduleNames('widgets'),
      parseFields('name:string, done:boolean'),
    );
    expect(files.map((file) => `${file.action} ${file.path}`)).toEqual([
      'create src/modules/widgets/widgets.routes.ts',
      'create src/modules/widgets/widgets.handlers.ts',
      'create src/modules/widgets/widgets.service.ts',
      'create src/modules/widgets/widgets.schemas.ts',
      'create src/modules/widgets/widgets.tasks.ts',
      'create src/modules/widgets/widgets.index.ts',
      'create src/platform/db/schema/widgets.ts',
      'create test/helpers/widgets.ts',
      'create test/modules/widgets/resource.test.ts',
      'update src/modules/index.ts',
      'update src/platform/db/schema/index.ts',
    ]);
    const text = files
      .filter((file) => file.action === 'create')
      .map((file) => file.content)
      .join('\n');
    expect(text).not.toContain('#region manifest');
    // Only a list page's `items` and the test's note of its template may still say "item".
    const model = 'test/modules/items/resource.test.ts';
    expect(text.replace(/\.items\b|\bitems:/g, '').replace(model, '')).not.toMatch(/item/i);
    const index = files.find((file) => file.path === 'src/modules/index.ts')?.content;
    expect(index).toContain("import { widgetsModule } from './widgets/widgets.index';");
    expect(index).toContain('  widgetsModule,\n  jobsModule,\n] as const;');
    const table = files.find((file) => file.path === 'src/platform/db/schema/widgets.ts')?.content;
    expect(table).toContain('name: varchar({ length: 255 }).notNull(),');
    expect(table).toContain('done: boolean().notNull(),');
  });

  it('drops the sort and search tests of a module with no field to sort or search', () => {
    const files = planModule(
      ROOT,
      moduleNames('flags'),
      parseFields('enabled:boolean, note:text?'),
    );
    const tests = files.find((file) => file.path.endsWith('resource.test.ts'))?.content ?? '';
    expect(tests).toContain('finds flags with q');
    expect(tests).not.toContain('sorts on its own fields');
    expect(tests).not.toContain('#region');
    const noSearch = planModule(ROOT, moduleNames('flags'), parseFields('enabled:boolean'));
    expect(noSearch.find((file) => file.path.endsWith('.test.ts'))?.content).not.toContain(
      'with q',
    );
  });

  it("writes the items helper's field region for the items fields: the template is the model", () => {
    const helper = (text: string) =>
      text.slice(text.indexOf('// #region fields'), text.indexOf('// #endregion fields'));
    const files = planModule(ROOT, moduleNames('parcels'), parseFields(DEFAULT_FIELDS));
    const generated = files.find((file) => file.path === 'test/helpers/parcels.ts')?.content ?? '';
    const model = readFileSync(join(ROOT, 'test/helpers/items.ts'), 'utf8');
    expect(helper(generated)).toBe(renameItems(helper(model), moduleNames('parcels')));
  });

  it('lists every target that exists already, and migrations named after the module', () => {
    const root = mkdtempSync(join(tmpdir(), 'new-module-'));
    mkdirSync(join(root, 'src/modules/widgets'), { recursive: true });
    mkdirSync(join(root, 'migrations'));
    writeFileSync(join(root, 'src/modules/widgets/widgets.routes.ts'), '');
    writeFileSync(join(root, 'migrations/0007_widgets.sql'), '');
    const names = moduleNames('widgets');
    const files = planModule(ROOT, names, parseFields(DEFAULT_FIELDS));
    expect(conflicts(root, names, files)).toEqual([
      'src/modules/widgets/widgets.routes.ts',
      'migrations/0007_widgets.sql',
    ]);
  });
});

describe('npm run new:module', () => {
  it('lists what it would write with --dry-run, and writes nothing', () => {
    const before = gitStatus();
    const run = newModule('widgets', '--fields', 'name:string, done:boolean', '--dry-run');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('create src/modules/widgets/widgets.service.ts');
    expect(run.stdout).toContain('update src/modules/index.ts');
    expect(run.stdout).toContain('create migrations/NNNN_widgets.sql');
    expect(gitStatus()).toBe(before);
  });

  it('refuses a bad name or field, writing nothing', () => {
    const before = gitStatus();
    for (const [args, message] of [
      [['Widgets'], /is not a module name/],
      [['widgets', '--fields', 'x:float'], /"float" in "x:float" is not one of/],
      [['users'], /"users" is reserved/],
    ] as const) {
      const run = newModule(...args);
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(message);
    }
    expect(gitStatus()).toBe(before);
  });
});
