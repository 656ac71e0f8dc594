import { z } from 'zod';
import * as shared from './index';

// The server builds its OpenAPI 3.1 document from these schemas, so every exported one must convert.
const exportedSchemas = Object.entries(shared as Record<string, unknown>).filter(
  (entry): entry is [string, z.ZodType] => entry[1] instanceof z.ZodType,
);

describe('every exported schema', () => {
  it('given the package exports, then there are schemas to check', () => {
    expect(exportedSchemas.length).toBeGreaterThan(20);
  });

  it.each(exportedSchemas)('given %s, when converted to JSON Schema as input and as output, then it converts', (_name, schema) => {
    for (const io of ['input', 'output'] as const) {
      const jsonSchema = z.toJSONSchema(schema, { io });
      expect(jsonSchema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    }
  });

  it('given every exported schema, then each carries a unique meta id', () => {
    const ids = exportedSchemas.map(([name, schema]) => z.globalRegistry.get(schema)?.id ?? `missing id on ${name}`);
    expect(ids.filter((id) => id.startsWith('missing'))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('request bodies', () => {
  it('given every exported *BodySchema, then it refuses unknown fields', () => {
    const bodies = exportedSchemas.filter(([name]) => name.endsWith('BodySchema'));
    expect(bodies.length).toBeGreaterThan(5);
    for (const [name, schema] of bodies) {
      const jsonSchema = z.toJSONSchema(schema, { io: 'input' }) as { $ref?: string; $defs?: Record<string, { additionalProperties?: unknown }> };
      const root = jsonSchema.$ref ? jsonSchema.$defs![jsonSchema.$ref.replace('#/$defs/', '')]! : jsonSchema;
      expect([name, (root as { additionalProperties?: unknown }).additionalProperties]).toEqual([name, false]);
    }
  });
});
