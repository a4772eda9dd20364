import fc from 'fast-check';

/**
 * The part of JSON Schema (2020-12, as OpenAPI 3.1 embeds it) that our OpenAPI document uses.
 * Nothing on the registry turns such a schema into fast-check arbitraries for fast-check 4
 * (the packages that did target fast-check 1–3), so this small converter does, in two
 * directions: {@link validValue} for values the schema accepts and {@link invalidValue} for
 * values it refuses.
 */
export interface JsonSchema {
  $ref?: string;
  type?: JsonType | JsonType[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  [keyword: string]: unknown;
}

type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'null';

/** `schema` with every `$ref` to `#/…` of `root` replaced by its target (the document has no cycles). */
export function resolveRefs<T>(schema: T, root: unknown, seen: string[] = []): T {
  if (Array.isArray(schema)) return schema.map((entry) => resolveRefs(entry, root, seen)) as T;
  if (schema === null || typeof schema !== 'object') return schema;
  const { $ref, ...rest } = schema as Record<string, unknown>;
  if (typeof $ref === 'string') {
    if (!$ref.startsWith('#/') || seen.includes($ref)) throw new Error(`cannot inline ${$ref}`);
    let target: unknown = root;
    for (const key of $ref.slice(2).split('/')) target = (target as Record<string, unknown>)[key];
    if (target === undefined) throw new Error(`${$ref} does not exist`);
    return { ...resolveRefs(target, root, [...seen, $ref]), ...resolveRefs(rest, root, seen) } as T;
  }
  return Object.fromEntries(
    Object.entries(rest).map(([key, value]) => [key, resolveRefs(value, root, seen)]),
  ) as T;
}

const typesOf = (schema: JsonSchema): JsonType[] =>
  schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];

/** Text of several kinds: printable ASCII, any Unicode, and any code unit (lone surrogates, NUL). */
function text(constraints: { minLength?: number; maxLength?: number }) {
  return fc.oneof(
    { weight: 6, arbitrary: fc.string({ ...constraints, unit: 'grapheme-ascii' }) },
    { weight: 2, arbitrary: fc.string({ ...constraints, unit: 'grapheme' }) },
    { weight: 1, arbitrary: fc.string({ ...constraints, unit: 'binary' }) },
  );
}

/** Addresses most validators accept, and now and then an unusual one RFC 5322 allows. */
const emailAddress = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,20}[a-z0-9]$/),
        fc.stringMatching(/^[a-z0-9]{1,12}$/),
        fc.constantFrom('com', 'org', 'test', 'example'),
      )
      .filter(([local]) => !local.includes('..'))
      .map(([local, domain, tld]) => `${local}@${domain}.${tld}`),
  },
  { weight: 1, arbitrary: fc.emailAddress() },
);

const FORMATS: Record<string, fc.Arbitrary<string>> = {
  email: emailAddress,
  uri: fc.oneof(
    { weight: 4, arbitrary: fc.webUrl({ validSchemes: ['https'], withQueryParameters: true }) },
    { weight: 1, arbitrary: fc.webUrl({ validSchemes: ['http', 'ftp'] }) },
  ),
  uuid: fc.uuid(),
  'date-time': fc
    .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z') })
    .filter((date) => !Number.isNaN(date.getTime()))
    .map((date) => date.toISOString()),
};

function validString(schema: JsonSchema): fc.Arbitrary<string> {
  const { minLength = 0, maxLength = Math.max(minLength, 40), pattern, format } = schema;
  const lengthOk = (value: string) =>
    [...value].length >= minLength && [...value].length <= maxLength;
  if (format && FORMATS[format]) return FORMATS[format].filter(lengthOk);
  if (pattern) {
    const regex = new RegExp(pattern, 'u');
    if (pattern.startsWith('^') && pattern.endsWith('$')) {
      return fc.stringMatching(regex).filter(lengthOk);
    }
    // Unanchored: any text of the right length that contains a match.
    return fc
      .tuple(text({ minLength, maxLength }), fc.stringMatching(regex))
      .filter(([base, match]) => [...match].length <= [...base].length)
      .map(
        ([base, match]) =>
          [...base].slice(0, [...base].length - [...match].length).join('') + match,
      )
      .filter((value) => regex.test(value) && lengthOk(value));
  }
  return text({ minLength, maxLength }).filter(lengthOk);
}

function validNumber(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const low =
    schema.minimum ?? (schema.exclusiveMinimum ?? Number.NEGATIVE_INFINITY) + (integer ? 1 : 0);
  const high =
    schema.maximum ?? (schema.exclusiveMaximum ?? Number.POSITIVE_INFINITY) - (integer ? 1 : 0);
  if (integer) {
    const min = Math.max(low, -(2 ** 31));
    const max = Math.min(high, 2 ** 31 - 1);
    return fc.integer({ min, max });
  }
  return fc
    .double({ min: Math.max(low, -1e12), max: Math.min(high, 1e12), noNaN: true })
    .filter((value) => value > (schema.exclusiveMinimum ?? Number.NEGATIVE_INFINITY))
    .filter((value) => value < (schema.exclusiveMaximum ?? Number.POSITIVE_INFINITY));
}

/** Values to mix in for properties of these names (an account that exists, a real token). */
type Known = Record<string, unknown[]>;

function validOfType(schema: JsonSchema, type: JsonType, known: Known): fc.Arbitrary<unknown> {
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'string':
      return validString(schema);
    case 'integer':
      return validNumber(schema, true);
    case 'number':
      return validNumber(schema, false);
    case 'array': {
      const minLength = schema.minItems ?? 0;
      const maxLength = Math.min(schema.maxItems ?? minLength + 4, minLength + 4);
      return fc.array(schema.items ? validValue(schema.items, known) : fc.jsonValue(), {
        minLength,
        maxLength,
      });
    }
    case 'object': {
      const properties = schema.properties ?? {};
      const model = Object.fromEntries(
        Object.entries(properties).map(([name, property]) => {
          const values = known[name] ?? [];
          const value = validValue(property, known);
          return [name, values.length > 0 ? fc.oneof(value, fc.constantFrom(...values)) : value];
        }),
      );
      return fc.record(model, { requiredKeys: schema.required ?? [] });
    }
  }
}

/**
 * Values `schema` accepts. Formats and patterns are honoured; what a schema cannot say (zod
 * refinements such as "a password needs an upper-case letter") is left to chance, so some
 * "valid" values are still refused by the route, as they would be from a client. `known`
 * mixes given values into the properties of those names.
 */
export function validValue(schema: JsonSchema, known: Known = {}): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const types = typesOf(schema);
  if (types.length === 0) return fc.jsonValue();
  return fc.oneof(...types.map((type) => validOfType(schema, type, known)));
}

/** A value of each JSON type, to pick those a schema does not allow. */
const SAMPLES: Record<JsonType, unknown[]> = {
  null: [null],
  boolean: [true, false],
  string: ['', 'text', '1', 'true'],
  integer: [0, -1, 7],
  number: [1.5, -0.25],
  object: [{}, { key: 'value' }],
  array: [[], ['text', 1]],
};

function wrongType(schema: JsonSchema): fc.Arbitrary<unknown> | undefined {
  const allowed = typesOf(schema);
  if (allowed.length === 0) return undefined;
  const allows = (type: JsonType) =>
    allowed.includes(type) || (type === 'integer' && allowed.includes('number'));
  const values = (Object.keys(SAMPLES) as JsonType[])
    .filter((type) => !allows(type))
    .flatMap((type) => SAMPLES[type]);
  return values.length > 0 ? fc.constantFrom(...values) : undefined;
}

function invalidString(schema: JsonSchema): fc.Arbitrary<unknown>[] {
  const { minLength = 0, maxLength, pattern, format } = schema;
  const out: fc.Arbitrary<unknown>[] = [];
  if (minLength > 0) out.push(text({ maxLength: minLength - 1 }));
  if (maxLength !== undefined) {
    out.push(
      fc
        .integer({ min: maxLength + 1, max: maxLength + 64 })
        .chain((length) => text({ minLength: length, maxLength: length }).map((v) => v)),
    );
  }
  if (pattern) {
    const regex = new RegExp(pattern, 'u');
    out.push(text({ minLength, maxLength }).filter((value) => !regex.test(value)));
  }
  if (format === 'email') out.push(fc.constantFrom('not-an-email', 'a@', '@b.c', 'a b@c.d'));
  if (format === 'uri') out.push(fc.constantFrom('not a uri', '//no-scheme', 'a b:c'));
  if (format === 'uuid') out.push(fc.constantFrom('not-a-uuid', '123', '00000000-0000'));
  if (format === 'date-time') {
    out.push(fc.constantFrom('yesterday', '2024-13-01T00:00:00Z', '2024-01-01', '1e9'));
  }
  return out;
}

function invalidNumber(schema: JsonSchema, integer: boolean): fc.Arbitrary<unknown>[] {
  const out: fc.Arbitrary<unknown>[] = [];
  const { minimum, maximum, exclusiveMinimum, exclusiveMaximum } = schema;
  if (minimum !== undefined) out.push(fc.integer({ min: -(2 ** 40), max: Math.ceil(minimum) - 1 }));
  if (exclusiveMinimum !== undefined) {
    out.push(fc.integer({ min: -(2 ** 40), max: Math.floor(exclusiveMinimum) }));
  }
  if (maximum !== undefined) out.push(fc.integer({ min: Math.floor(maximum) + 1, max: 2 ** 53 }));
  if (exclusiveMaximum !== undefined) {
    out.push(fc.integer({ min: Math.ceil(exclusiveMaximum), max: 2 ** 53 }));
  }
  if (integer) out.push(fc.constantFrom(0.5, 1.25, -3.5));
  return out;
}

function invalidObject(schema: JsonSchema): fc.Arbitrary<unknown>[] {
  const out: fc.Arbitrary<unknown>[] = [];
  const properties = schema.properties ?? {};
  const base = validOfType(schema, 'object', {}) as fc.Arbitrary<Record<string, unknown>>;
  for (const name of schema.required ?? []) {
    out.push(base.map(({ [name]: _, ...rest }) => rest));
  }
  for (const [name, property] of Object.entries(properties)) {
    const bad = invalidValue(property);
    if (bad) out.push(fc.tuple(base, bad).map(([value, wrong]) => ({ ...value, [name]: wrong })));
  }
  if (schema.additionalProperties === false) {
    const extra = fc.stringMatching(/^[a-z_]{1,12}$/).filter((name) => !(name in properties));
    out.push(
      fc.tuple(base, extra, fc.jsonValue()).map(([value, name, wrong]) => ({
        ...value,
        [name]: wrong,
      })),
    );
  }
  return out;
}

function invalidArray(schema: JsonSchema): fc.Arbitrary<unknown>[] {
  const out: fc.Arbitrary<unknown>[] = [];
  const items = schema.items ? validValue(schema.items) : fc.jsonValue();
  if (schema.minItems) out.push(fc.array(items, { maxLength: schema.minItems - 1 }));
  if (schema.maxItems !== undefined) {
    const length = schema.maxItems + 1;
    out.push(fc.array(items, { minLength: length, maxLength: length }));
  }
  const bad = schema.items && invalidValue(schema.items);
  if (bad) {
    out.push(
      fc
        .tuple(fc.array(items, { maxLength: Math.max(0, (schema.maxItems ?? 3) - 1) }), bad)
        .map(([values, wrong]) => [...values, wrong]),
    );
  }
  return out;
}

/**
 * Values `schema` refuses: a wrong type, a missing required property, a property that is
 * itself invalid, an unknown property where none are allowed, a string too short, too long
 * or off its pattern or format, a number out of range, a value outside its enum. Undefined
 * when the schema accepts everything.
 */
export function invalidValue(schema: JsonSchema): fc.Arbitrary<unknown> | undefined {
  const out: fc.Arbitrary<unknown>[] = [];
  const wrong = wrongType(schema);
  if (wrong) out.push(wrong);
  if (schema.enum || schema.const !== undefined) {
    const allowed = schema.enum ?? [schema.const];
    out.push(text({ maxLength: 12 }).filter((value) => !allowed.includes(value)));
  } else {
    for (const type of typesOf(schema)) {
      if (type === 'string') out.push(...invalidString(schema));
      if (type === 'integer' || type === 'number')
        out.push(...invalidNumber(schema, type === 'integer'));
      if (type === 'object') out.push(...invalidObject(schema));
      if (type === 'array') out.push(...invalidArray(schema));
    }
  }
  return out.length > 0 ? fc.oneof(...out) : undefined;
}
