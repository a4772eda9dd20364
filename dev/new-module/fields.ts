import { KEYWORDS } from './names';

const FIELD_TYPES = ['string', 'text', 'integer', 'boolean', 'timestamp'] as const;

type FieldType = (typeof FIELD_TYPES)[number];

/** One field of `--fields`: `title:string` (required) or `due_at:timestamp?` (optional, null). */
export interface Field {
  /** The API's name, snake_case like every body field. */
  name: string;
  /** The Drizzle column key (the database column is `name`). */
  key: string;
  type: FieldType;
  optional: boolean;
}

/** The fields of the items module, the default shape. */
export const DEFAULT_FIELDS = 'title:string, description:text?';

const FIELD = /^([a-z][a-z0-9]*(?:_[a-z0-9]+)*):([a-z]+)(\?)?$/;

/** Columns every resource table has already, and names the generated code uses itself. */
const TAKEN = new Set([
  'id',
  'owner_id',
  'version',
  'created_at',
  'updated_at',
  'deleted_at',
  'z',
  'input',
  'row',
  'table',
]);

const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * Parses `--fields` ("title:string, done:boolean, due_at:timestamp?"). Throws an `Error` naming
 * the faulty entry and what is allowed.
 */
export function parseFields(spec: string): Field[] {
  const entries = spec
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error('--fields is empty: give at least one name:type');
  const fields = entries.map((entry): Field => {
    const match = FIELD.exec(entry.replace(/\s+/g, ''));
    const [, name = '', type = '', optional] = match ?? [];
    if (!match) {
      throw new Error(
        `--fields: "${entry}" is not name:type (snake_case name, "?" after the type for optional)`,
      );
    }
    if (!(FIELD_TYPES as readonly string[]).includes(type)) {
      throw new Error(`--fields: "${type}" in "${entry}" is not one of ${FIELD_TYPES.join(', ')}`);
    }
    if (TAKEN.has(name) || KEYWORDS.has(name)) {
      throw new Error(`--fields: "${name}" is reserved (a column every table has, or a keyword)`);
    }
    return { name, key: camel(name), type: type as FieldType, optional: optional === '?' };
  });
  const names = fields.map((field) => field.name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice) throw new Error(`--fields: "${twice}" is given twice`);
  return fields;
}

/** Fields `sort` may name: NOT NULL and ordered meaningfully. */
export const sortable = (fields: Field[]) =>
  fields.filter((field) => !field.optional && field.type !== 'boolean' && field.type !== 'text');

/** Fields `q` searches. */
export const searchable = (fields: Field[]) =>
  fields.filter((field) => field.type === 'string' || field.type === 'text');

const COLUMN: Record<FieldType, string> = {
  string: 'varchar({ length: 255 })',
  text: 'text()',
  integer: 'integer()',
  boolean: 'boolean()',
  timestamp: 'timestamp({ withTimezone: true })',
};

/** The Drizzle column builder of `field`. */
export const column = (field: Field) =>
  `${field.key}: ${COLUMN[field.type]}${field.optional ? '' : '.notNull()'},`;

/** The `drizzle-orm/pg-core` builders the table needs. */
export function columnImports(fields: Field[]) {
  const used = fields.map((field) => COLUMN[field.type].replace(/\(.*$/, ''));
  return [...new Set(['index', 'integer', 'pgTable', ...used])].sort();
}

const INPUT: Record<FieldType, string> = {
  string: 'z.string().trim().min(1).max(255)',
  text: 'z.string().max(10_000)',
  integer: 'int32(-MAX_INT4 - 1)',
  boolean: 'z.boolean()',
  timestamp: 'z.iso.datetime({ offset: true }).max(TIMESTAMP_LENGTH)',
};

const OUTPUT: Record<FieldType, string> = {
  string: 'z.string().max(255)',
  text: 'z.string().max(10_000)',
  integer: 'int32(-MAX_INT4 - 1)',
  boolean: 'z.boolean()',
  timestamp: 'timestamp()',
};

/** The zod schema of the field in request bodies (`null` allowed when optional). */
export const inputSchema = (field: Field) =>
  `const ${field.key} = ${INPUT[field.type]}${field.optional ? '.nullable()' : ''};`;

/** The zod schema of the field in responses. */
export const outputSchema = (field: Field) =>
  `${field.name}: ${OUTPUT[field.type]}${field.optional ? '.nullable()' : ''},`;

/** `name: key` in an object literal, shortened when both are the same word. */
export const entry = (name: string, value: string) => (name === value ? name : `${name}: ${value}`);

/** The row value as the API shows it. */
export function readValue(field: Field) {
  const value = `row.${field.key}`;
  if (field.type !== 'timestamp') return value;
  return field.optional ? `${value}?.toISOString() ?? null` : `${value}.toISOString()`;
}

/** The create body's value as the row stores it. */
export function createValue(field: Field) {
  const value = `input.${field.name}`;
  if (field.type === 'timestamp') {
    return field.optional ? `${value} == null ? null : new Date(${value})` : `new Date(${value})`;
  }
  return field.optional ? `${value} ?? null` : value;
}

/** The update body's value (undefined: unchanged) as the row stores it. */
export function changeValue(field: Field) {
  const value = `input.${field.name}`;
  if (field.type !== 'timestamp') return value;
  return field.optional
    ? `${value} == null ? ${value} : new Date(${value})`
    : `${value} === undefined ? undefined : new Date(${value})`;
}

/** A valid value for sample number `n` (a TS expression over `n`), distinct per `n`. */
export function sampleValue(field: Field) {
  const label = field.name.replace(/_/g, ' ');
  switch (field.type) {
    case 'string':
      return `\`${label} \${String(n).padStart(4, '0')}\``;
    case 'text':
      return `\`Some ${label} \${String(n).padStart(4, '0')}\``;
    case 'integer':
      return 'n';
    case 'boolean':
      return 'n % 2 === 0';
    case 'timestamp':
      return 'new Date(Date.UTC(2026, 0, 1 + n)).toISOString()';
  }
}

/** A valid value no sample has. */
export function changedValue(field: Field) {
  switch (field.type) {
    case 'string':
    case 'text':
      return "'Changed'";
    case 'integer':
      return '-7';
    case 'boolean':
      return 'false';
    case 'timestamp':
      return "'2030-06-01T12:00:00.000Z'";
  }
}

/** A value of the wrong type. */
export const mistypedValue = (field: Field) => (field.type === 'integer' ? "'seven'" : '7');
