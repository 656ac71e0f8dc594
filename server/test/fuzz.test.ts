import { adminToken, joinedMember, staffToken, startTestApp, type TestApp } from './support/harness';

// Sends a few hundred malformed requests to every route the OpenAPI document lists, as every kind of
// caller, and asserts that none answers 5xx or leaks a stack trace: bad input is always the caller's 4xx.

let app: TestApp;
let tokens: Record<string, string | undefined>;

beforeAll(async () => {
  app = await startTestApp();
  const member = await joinedMember(app.api, 'fuzzer');
  tokens = {
    anonymous: undefined,
    member: member.token,
    staff: await staffToken(app.api, 'sh01-clerk'),
    manager: await staffToken(app.api, 'sh01-manager'),
    admin: await adminToken(app.api),
  };
});
afterAll(async () => {
  await app.stop();
});

/** A small deterministic PRNG, so a failure reproduces. */
function prng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const NASTY_VALUES: unknown[] = [
  null, true, false, 0, -1, 1.5, -0.0001, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, '', ' ', 'x'.repeat(5000),
  '\u0000', '<script>alert(1)</script>', "'; DROP TABLE members; --", '../../etc/passwd', '💳'.repeat(50),
  '2026-13-45', 'NaN', [], [null], [[[[]]]], {}, { $gt: '' }, { 'a.b': 1 }, { nested: { $where: 'sleep(1000)' } },
  Array.from({ length: 500 }, (_, i) => i),
];

function deepNest(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

function malformedBodies(schema: any, random: () => number): unknown[] {
  const bodies: unknown[] = [...NASTY_VALUES, deepNest(200), { unknownField: 1 }];
  const properties = Object.keys(schema?.properties ?? {});
  for (const property of properties) {
    for (const value of NASTY_VALUES) {
      if (random() < 0.5) bodies.push({ [property]: value });
    }
  }
  for (let i = 0; i < 20; i++) {
    const body: Record<string, unknown> = {};
    for (const property of properties) body[property] = NASTY_VALUES[Math.floor(random() * NASTY_VALUES.length)];
    bodies.push(body);
  }
  return bodies;
}

function resolve(doc: any, schema: any): any {
  if (schema?.$ref) return doc.components.schemas[schema.$ref.split('/').pop()];
  return schema;
}

const JUNK_PARAMS = ['x', '0', '%24ne', '..', 'ffffffffffffffffffffffff', '1'.repeat(300)];

it('no route answers 5xx or a stack trace to malformed input, for any caller', async () => {
  const doc = (await app.api.get('/api/v1/openapi.json')).body;
  const random = prng(20261124);
  const failures: string[] = [];
  let sent = 0;
  for (const [path, operations] of Object.entries<any>(doc.paths)) {
    for (const [method, operation] of Object.entries<any>(operations)) {
      const bodySchema = resolve(doc, operation.requestBody?.content?.['application/json']?.schema);
      const bodies = operation.requestBody ? malformedBodies(bodySchema, random) : [undefined];
      const queries = ['', '?limit=-1', '?limit=abc&cursor=%00', '?cursor=' + 'z'.repeat(600), '?q[$ne]=1', '?status=weird'];
      let index = 0;
      const requests: Array<() => Promise<void>> = [];
      for (const callerKind of Object.keys(tokens)) {
        // Every body as HQ (the widest access); every third as a member or a clerk (their routes validate the same
        // schemas, and most HQ routes refuse them before reading the body); the first five as anyone else.
        const variants =
          callerKind === 'admin' ? bodies
          : callerKind === 'member' || callerKind === 'staff' ? bodies.filter((_, i) => i % 3 === 0)
          : bodies.slice(0, 5);
        for (const body of variants) {
          const param = JUNK_PARAMS[index % JUNK_PARAMS.length]!;
          const query = queries[index % queries.length];
          index++;
          const url = path.replace(/\{[^}]+\}/g, encodeURIComponent(param)) + (method === 'get' ? query : '');
          requests.push(async () => {
            const res = await app.api.request(method.toUpperCase(), url, {
              token: tokens[callerKind],
              ...(body === undefined ? {} : { rawBody: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
            });
            sent++;
            const leaked = /\n\s+at |node_modules|\.ts:\d+/.test(res.text);
            if (res.status >= 500 || leaked) failures.push(`${method.toUpperCase()} ${url} as ${callerKind} → ${res.status} ${res.text.slice(0, 200)}`);
          });
        }
      }
      // A few at a time: enough to exercise concurrency without starving the machine.
      for (let i = 0; i < requests.length; i += 8) await Promise.all(requests.slice(i, i + 8).map((r) => r()));
    }
  }
  expect(failures).toEqual([]);
  expect(sent).toBeGreaterThan(1000);
}, 480_000);
