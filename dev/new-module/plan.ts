import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  changedValue,
  changeValue,
  column,
  columnImports,
  createValue,
  entry,
  type Field,
  inputSchema,
  mistypedValue,
  outputSchema,
  readValue,
  sampleValue,
  searchable,
  sortable,
} from './fields';
import { type ModuleNames, renameItems } from './names';

/** A file the generator writes: `create` must not exist yet, `update` must exist. */
export interface PlannedFile {
  path: string;
  action: 'create' | 'update';
  content: string;
}

/** What replaces one field-specific passage of the model, keyed by that passage's exact text. */
type Anchors = Record<string, string>;

/** The files the model is made of, with their paths for module `names`. */
function modelFiles(names: ModuleNames) {
  const { kebab } = names.plural;
  const module = (role: string) => ({
    from: `src/modules/items/items.${role}.ts`,
    to: `src/modules/${kebab}/${kebab}.${role}.ts`,
  });
  return [
    ...['routes', 'handlers', 'service', 'schemas', 'tasks', 'index'].map(module),
    { from: 'src/platform/db/schema/items.ts', to: `src/platform/db/schema/${kebab}.ts` },
    { from: 'test/helpers/items.ts', to: `test/helpers/${kebab}.ts` },
    { from: 'test/modules/items/resource.test.ts', to: `test/modules/${kebab}/resource.test.ts` },
  ];
}

const indent = (lines: string[], spaces: number) =>
  lines.map((line) => `${' '.repeat(spaces)}${line}\n`).join('');

/** The field-specific passages of the items module and what the fields make of them. */
function anchorsFor(root: string, names: ModuleNames, fields: Field[]): Record<string, Anchors> {
  const table = names.plural.camel;
  const { pascal } = names.singular;
  const sorts = sortable(fields);
  const sampleOf = (list: Field[]) =>
    `({\n${list.map((f) => `  ${f.name}: ${sampleValue(f)},\n`).join('')}})`;
  const first = fields[0] as Field;
  const search = searchable(fields)[0];
  const { constant } = names.singular;
  const helper = [
    '// #region fields',
    '/** A valid create body, distinct for every `n`, ordered by `n` on every sortable field. */',
    `export const sample${pascal} = (n: number): ${pascal}Create => ${sampleOf(fields)};`,
    '',
    `/** \`sample${pascal}(n)\` without its optional fields. */`,
    `export const required${pascal} = (n: number): ${pascal}Create => ${sampleOf(fields.filter((f) => !f.optional))};`,
    '',
    '/** A PATCH giving one field a value no sample has. */',
    `export const ${constant}_CHANGE = { ${first.name}: ${changedValue(first)} };`,
    '',
    '/** A create body with a field of the wrong type. */',
    `export const MISTYPED_${constant} = { ...sample${pascal}(0), ${first.name}: ${mistypedValue(first)} };`,
  ];
  if (sorts[0]) {
    helper.push('', '/** A sortable field besides the timestamps. */');
    helper.push(`export const ${constant}_SORT = '${sorts[0].name}';`);
  }
  if (search) {
    helper.push('', `/** What \`q\` finds in \`sample${pascal}(n)\` and in no other sample. */`);
    helper.push(
      `export const ${names.singular.camel}SearchTerm = (n: number) => String(sample${pascal}(n).${search.name}).toUpperCase();`,
    );
  }
  helper.push('// #endregion fields');
  return {
    'src/platform/db/schema/items.ts': {
      "import { index, integer, pgTable, text, varchar } from 'drizzle-orm/pg-core';": `import { ${columnImports(fields).join(', ')} } from 'drizzle-orm/pg-core';`,
      '/** The example resource: owned by the user who created it, soft-deleted, versioned for ETags. */': `/** ${names.plural.pascal}: owned by the user who created them, soft-deleted, versioned for ETags. */`,
      '    title: varchar({ length: 255 }).notNull(),\n    description: text(),\n': indent(
        fields.map(column),
        4,
      ),
      "    index('items_owner_id_title_idx').on(table.ownerId, table.title, table.id),\n": indent(
        sorts.map(
          (f) =>
            `index('${names.plural.snake}_owner_id_${f.name}_idx').on(table.ownerId, table.${f.key}, table.id),`,
        ),
        4,
      ),
    },
    'src/modules/items/items.schemas.ts': {
      // An integer field is bounded by Postgres' integer range, a timestamp by its longest form.
      "import { int32, timestamp } from '../../lib/schema-fields';\n": `import { ${[
        'int32',
        ...(fields.some((f) => f.type === 'integer') ? ['MAX_INT4'] : []),
        'timestamp',
        ...(fields.some((f) => f.type === 'timestamp') ? ['TIMESTAMP_LENGTH'] : []),
      ].join(', ')} } from '../../lib/schema-fields';\n`,
      "const title = z.string().trim().min(1).max(255).openapi({ example: 'Groceries' });\nconst description = z.string().max(255).nullable().openapi({ example: 'Milk, eggs, bread' });\n":
        fields.map((f) => `${inputSchema(f)}\n`).join(''),
      '    title: z.string().max(255),\n    description: z.string().max(255).nullable(),\n': indent(
        fields.map(outputSchema),
        4,
      ),
      '.strictObject({ title, description: description.optional() })': `.strictObject({ ${fields.map((f) => (f.optional ? `${f.name}: ${f.key}.optional()` : entry(f.name, f.key))).join(', ')} })`,
      '.strictObject({ title: title.optional(), description: description.optional() })': `.strictObject({ ${fields.map((f) => `${f.name}: ${f.key}.optional()`).join(', ')} })`,
      '/** PUT: the whole representation; a missing `description` becomes null. */':
        '/** PUT: the whole representation; a missing optional field becomes null. */',
      '.strictObject({ title, description: description.optional().default(null) })': `.strictObject({ ${fields.map((f) => (f.optional ? `${f.name}: ${f.key}.optional().default(null)` : entry(f.name, f.key))).join(', ')} })`,
      "['created_at', 'updated_at', 'title'],": `[${['created_at', 'updated_at', ...sorts.map((f) => f.name)].map((s) => `'${s}'`).join(', ')}],`,
    },
    'src/modules/items/items.service.ts': {
      '  sortable: { created_at: items.createdAt, updated_at: items.updatedAt, title: items.title },\n  search: [items.title, items.description],': `  sortable: { created_at: ${table}.createdAt, updated_at: ${table}.updatedAt${sorts.map((f) => `, ${f.name}: ${table}.${f.key}`).join('')} },\n  search: [${searchable(
        fields,
      )
        .map((f) => `${table}.${f.key}`)
        .join(', ')}],`,
      '    title: row.title,\n    description: row.description,\n': indent(
        fields.map((f) => `${f.name}: ${readValue(f)},`),
        4,
      ),
      '.values({ title: input.title, description: input.description ?? null, ownerId: actor.id })': `.values({ ${fields.map((f) => `${f.key}: ${createValue(f)}`).join(', ')}, ownerId: actor.id })`,
      "Partial<Pick<ItemRow, 'title' | 'description' | 'deletedAt'>>": `Partial<Pick<${pascal}Row, ${[...fields.map((f) => `'${f.key}'`), "'deletedAt'"].join(' | ')}>>`,
      'const changes = { title: input.title, description: input.description };': `const changes = { ${fields.map((f) => `${f.key}: ${changeValue(f)}`).join(', ')} };`,
    },
    'src/modules/items/items.tasks.ts': {
      '{ items: purged }': `{ ${names.plural.snake}: purged }`,
    },
    'src/modules/items/items.routes.ts': {
      ' A missing \\`description\\` becomes null.': ' A missing optional field becomes null.',
    },
    'src/modules/items/items.index.ts': {
      '/** The example resource: owned items with lists, search, ETags, caching and idempotent creates. */': `/** ${names.plural.pascal}, owned by their creators: lists, search, ETags, caching and idempotent creates. */`,
      "  description:\n    'The example resource: items owned by their creators, with lists, search, ETags and idempotent creates',\n": `  description: '${names.plural.pascal}, owned by their creators: lists, search, ETags and idempotent creates',\n`,
    },
    'test/helpers/items.ts': {
      [between(
        readModel(root, 'test/helpers/items.ts'),
        '// #region fields',
        '// #endregion fields',
      )]: helper.join('\n'),
    },
    'test/modules/items/resource.test.ts': {
      [between(
        readModel(root, 'test/modules/items/resource.test.ts'),
        '// The contract every resource',
        '(issue 16).',
      )]:
        `// The resource contract, written by \`npm run new:module\` from test/modules/items/resource.test.ts.`,
      ...dropRegion(root, 'sort', sorts.length === 0),
      ...dropRegion(root, 'search', search === undefined),
    },
  };
}

function readModel(root: string, path: string) {
  return readFileSync(join(root, path), 'utf8');
}

/** The text from `start` to `end`, both included: it must be in `text` exactly once. */
function between(text: string, start: string, end: string) {
  const from = text.indexOf(start);
  const to = text.indexOf(end, from);
  if (from < 0 || to < 0) throw new Error(`the model has no "${start}" … "${end}" region`);
  return text.slice(from, to + end.length);
}

/** Removes a test region's marker lines, and its body too when `drop`. */
function dropRegion(root: string, name: string, drop: boolean): Anchors {
  const start = `  // #region ${name}\n`;
  const end = `  // #endregion ${name}\n\n`;
  if (!drop) return { [start]: '', [end]: '' };
  return { [between(readModel(root, 'test/modules/items/resource.test.ts'), start, end)]: '' };
}

/** The docs' snippet regions of the model (`// #region manifest`): not the new module's. */
const SNIPPET_MARKER = /^[ \t]*\/\/ #(?:end)?region (?!fields\b)[\w-]+\n/gm;

/**
 * Replaces each anchor, which must occur exactly once in `text`: when the model changes under
 * the generator, it stops with the passage it no longer finds rather than writing a module
 * that has drifted from it.
 */
function applyAnchors(path: string, text: string, anchors: Anchors, names: ModuleNames) {
  const pieces: string[] = [];
  let marked = text;
  for (const [from, to] of Object.entries(anchors)) {
    const count = marked.split(from).length - 1;
    if (count !== 1) {
      throw new Error(
        `${path} changed: the generator expects this passage exactly once (found ${count}); update dev/new-module/plan.ts:\n${from}`,
      );
    }
    marked = marked.replace(from, () => `@@anchor:${pieces.length}@@`);
    pieces.push(to);
  }
  return renameItems(marked, names)
    .replace(/@@anchor:(\d+)@@/g, (_, i: string) => pieces[Number(i)] ?? '')
    .replace(SNIPPET_MARKER, '');
}

/** `src/modules/index.ts` with the module imported and listed in `MODULES` (before jobs). */
function registerModule(root: string, names: ModuleNames) {
  const path = 'src/modules/index.ts';
  const text = readModel(root, path);
  const { camel, kebab } = names.plural;
  const listEnd = '  jobsModule,\n] as const;';
  if (!text.includes(listEnd)) throw new Error(`${path} changed: no "${listEnd}" to list before`);
  const line = `import { ${camel}Module } from './${kebab}/${kebab}.index';\n`;
  const imports = text.match(/^import .*\n/gm) ?? [];
  const sorted = [...imports, line].sort((a, b) => a.localeCompare(b)).join('');
  return {
    path,
    action: 'update' as const,
    content: text
      .replace(imports.join(''), sorted)
      .replace(listEnd, `  ${camel}Module,\n${listEnd}`),
  };
}

/** `schema/index.ts` exporting the new table file. */
function exportTable(root: string, names: ModuleNames) {
  const path = 'src/platform/db/schema/index.ts';
  const lines = readModel(root, path).split('\n').filter(Boolean);
  lines.push(`export * from './${names.plural.kebab}';`);
  return { path, action: 'update' as const, content: `${lines.sort().join('\n')}\n` };
}

/**
 * Everything `npm run new:module` writes for `names` with `fields`, derived from the items module
 * (renamed, with its field-specific passages regenerated), read-only.
 */
export function planModule(root: string, names: ModuleNames, fields: Field[]): PlannedFile[] {
  const anchors = anchorsFor(root, names, fields);
  const files: PlannedFile[] = modelFiles(names).map(({ from, to }) => ({
    path: to,
    action: 'create',
    content: applyAnchors(from, readModel(root, from), anchors[from] ?? {}, names),
  }));
  return [...files, registerModule(root, names), exportTable(root, names)];
}

/** Planned files that already exist, and migrations already named after the module. */
export function conflicts(root: string, names: ModuleNames, files: PlannedFile[]): string[] {
  const taken = files
    .filter((file) => file.action === 'create' && existsSync(join(root, file.path)))
    .map((file) => file.path);
  for (const dir of [`src/modules/${names.plural.kebab}`, `test/modules/${names.plural.kebab}`]) {
    if (existsSync(join(root, dir)) && !taken.some((path) => path.startsWith(dir))) taken.push(dir);
  }
  const migration = new RegExp(`^\\d+_${names.plural.snake}\\.sql$`);
  for (const file of readdirSync(join(root, 'migrations'))) {
    if (migration.test(file)) taken.push(`migrations/${file}`);
  }
  return taken;
}
