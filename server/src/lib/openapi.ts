import { ErrorAnswerSchema, POS_SIGNATURE_SCHEME } from '@membercard/shared';
import { z } from 'zod';
import { hqRoleNeeded, type RouteSpec } from './route';

// The OpenAPI 3.1 document is generated from the same zod schemas that validate requests, so it cannot
// drift from what the server accepts. zod emits JSON Schema 2020-12, which OpenAPI 3.1 takes as it is.


type JsonSchema = Record<string, unknown>;

/**
 * Converts one zod schema. Schemas carrying a `.meta({id})` come back under `$defs`; they are hoisted into
 * `components.schemas` (an input variant that differs from the output one gets an `Input` suffix) and
 * every `#/$defs/X` reference is rewritten to point there.
 */
function makeConverter(components: Record<string, JsonSchema>) {
  return function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const { $schema: _ignored, $defs, ...root } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema & {
      $defs?: Record<string, JsonSchema>;
    };
    const renames = new Map<string, string>();
    for (const [id, def] of Object.entries($defs ?? {})) {
      const existing = components[id];
      const name = existing && JSON.stringify(existing) !== JSON.stringify(def) && io === 'input' ? `${id}Input` : id;
      renames.set(id, name);
    }
    const rewrite = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(rewrite);
      if (value && typeof value === 'object') {
        return Object.fromEntries(
          Object.entries(value).map(([k, v]) => {
            if (k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) {
              const id = v.slice('#/$defs/'.length);
              return [k, `#/components/schemas/${renames.get(id) ?? id}`];
            }
            return [k, rewrite(v)];
          }),
        );
      }
      return value;
    };
    for (const [id, def] of Object.entries($defs ?? {})) {
      components[renames.get(id)!] ??= rewrite(def) as JsonSchema;
    }
    return rewrite(root) as JsonSchema;
  };
}

function parametersOf(
  spec: RouteSpec,
  jsonSchema: ReturnType<typeof makeConverter>,
  components: Record<string, JsonSchema>,
): unknown[] {
  const out: unknown[] = [];
  for (const [where, schema] of [
    ['path', spec.params],
    ['query', spec.query],
  ] as const) {
    if (!schema) continue;
    const converted = jsonSchema(schema, 'input');
    // A schema with an id comes back as a reference to its component; parameters need its properties.
    const ref = typeof converted.$ref === 'string' ? converted.$ref.split('/').pop()! : null;
    const js = (ref ? components[ref] : converted) as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, prop] of Object.entries(js.properties ?? {})) {
      out.push({ name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema: prop });
    }
  }
  if (spec.idempotency && 'header' in spec.idempotency) {
    out.push({ name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string', maxLength: 128 } });
  }
  return out;
}

export function buildOpenApiDocument(specs: RouteSpec[], info: { title: string; version: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  const components: Record<string, JsonSchema> = {};
  const jsonSchema = makeConverter(components);
  components.ErrorAnswer = jsonSchema(ErrorAnswerSchema, 'output');
  for (const spec of specs) {
    const path = spec.path.replace(/:([A-Za-z_]+)/g, '{$1}');
    const status = String(spec.status ?? 200);
    const operation: Record<string, unknown> = {
      summary: spec.summary,
      tags: [spec.tag],
      operationId: `${spec.method}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      parameters: parametersOf(spec, jsonSchema, components),
      responses: {
        [status]: spec.response
          ? { description: 'Success', content: { 'application/json': { schema: jsonSchema(spec.response, 'output') } } }
          : { description: 'Success' },
        default: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorAnswer' } } } },
      },
    };
    if (spec.auth === 'pos') operation.security = [{ posSignature: [] }];
    else if (spec.auth !== 'public') operation.security = [{ bearer: [] }];
    // Who may call: the auth level, and on HQ routes the least HQ role (viewer < marketing < admin).
    operation['x-auth'] = spec.auth === 'admin' || spec.auth === 'adminOrManager' ? { level: spec.auth, hqRole: hqRoleNeeded(spec) } : { level: spec.auth };
    if (spec.body) {
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: jsonSchema(spec.body, 'input') } },
      };
    }
    (paths[`/api/v1${path}`] ??= {})[spec.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info,
    servers: [{ url: '/' }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, posSignature: POS_SIGNATURE_SCHEME },
      schemas: components,
    },
  };
}
