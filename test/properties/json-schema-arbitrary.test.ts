import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { invalidValue, type JsonSchema, resolveRefs, validValue } from './json-schema-arbitrary';
import { loadOperations, schemaErrors } from './openapi-contract';
import { propertyParameters } from './replay';

const operations = await loadOperations();

/** Every request body and parameter schema of the document, by where it is used. */
const schemas: [string, JsonSchema][] = operations.flatMap((operation) => [
  ...Object.entries(operation.body?.content ?? {}).map(
    ([type, { schema }]) => [`${operation.name} body (${type})`, schema] as [string, JsonSchema],
  ),
  ...operation.parameters.map(
    (parameter) =>
      [`${operation.name} ${parameter.in} ${parameter.name}`, parameter.schema] as [
        string,
        JsonSchema,
      ],
  ),
]);

describe('JSON Schema to fast-check (issue 15)', () => {
  it('finds the schemas of the document', () => {
    expect(schemas.length).toBeGreaterThan(50);
  });

  it.each(schemas)('%s: generated valid values pass and invalid ones fail', (_, schema) => {
    fc.assert(
      fc.property(validValue(schema), (value) => {
        expect(schemaErrors(schema, value)).toEqual([]);
      }),
      propertyParameters(50),
    );
    const invalid = invalidValue(schema);
    // Only a schema that accepts anything (an untyped object body) has no invalid values.
    if (!invalid) {
      expect(schema).toMatchObject({ type: 'object' });
      return;
    }
    fc.assert(
      fc.property(invalid, (value) => {
        expect(schemaErrors(schema, value)).not.toEqual([]);
      }),
      propertyParameters(50),
    );
  });

  it('inlines references and refuses a cycle', () => {
    const root = {
      components: {
        schemas: {
          Name: { type: 'string', minLength: 2 },
          Loop: { $ref: '#/components/schemas/Loop' },
        },
      },
    };
    expect(
      resolveRefs({ type: 'array', items: { $ref: '#/components/schemas/Name' } }, root),
    ).toEqual({ type: 'array', items: { type: 'string', minLength: 2 } });
    expect(() => resolveRefs({ $ref: '#/components/schemas/Loop' }, root)).toThrow(/cannot inline/);
  });

  it('mixes known values into the properties of their name', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: { email: { type: 'string', format: 'email' } },
      required: ['email'],
    };
    const samples = fc.sample(validValue(schema, { email: ['owner@example.com'] }), {
      numRuns: 200,
      seed: 1,
    });
    expect(samples).toContainEqual({ email: 'owner@example.com' });
  });
});
