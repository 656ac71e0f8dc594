import { startServer } from '@membercard/embedded-mongo';
import mongoose from 'mongoose';
import { AppError } from '../src/lib/errors';
import { IdempotencyStore, idempotencyModel, requestHash } from '../src/lib/idempotency';
import { ErrorCode } from '@membercard/shared';

// The one idempotency mechanism, exercised directly on a real database: parallel repeats run once,
// a key reused for another request is refused, failures release the key, a dead owner's lease is taken over.

let stopDb: () => Promise<void>;
let connection: mongoose.Connection;
let model: ReturnType<typeof idempotencyModel>;

beforeAll(async () => {
  const uri: string = process.env.MONGODB_URI ?? (await startServer({ port: 0 }).then((db) => ((stopDb = db.stop), db.uri)));
  connection = await mongoose.createConnection(uri, { dbName: `idem_${Date.now()}` }).asPromise();
  model = idempotencyModel(connection);
  await model.createIndexes();
});
afterAll(async () => {
  await connection.dropDatabase();
  await connection.close();
  await stopDb?.();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('given 10 parallel requests with one key, the work runs once and every caller gets its answer', async () => {
  const store = new IdempotencyStore(model);
  let runs = 0;
  const hash = requestHash('POST', '/x', { a: 1 });
  const replies = await Promise.all(
    Array.from({ length: 10 }, () =>
      store.run('k-parallel', hash, async () => {
        runs++;
        await sleep(50);
        return { status: 201, body: { id: 'first' } };
      }),
    ),
  );
  expect(runs).toBe(1);
  expect(replies.every((r) => r.status === 201 && (r.body as { id: string }).id === 'first')).toBe(true);
});

it('given a key already used for a different request, then 409 IDEMPOTENCY_KEY_REUSED', async () => {
  const store = new IdempotencyStore(model);
  await store.run('k-reused', requestHash('POST', '/x', { amountFen: 100 }), async () => ({ status: 201, body: {} }));
  await expect(
    store.run('k-reused', requestHash('POST', '/x', { amountFen: 999 }), async () => ({ status: 201, body: {} })),
  ).rejects.toMatchObject({ code: ErrorCode.IDEMPOTENCY_KEY_REUSED, status: 409 });
});

it('given the same body with keys in another order, then it is the same request', () => {
  expect(requestHash('POST', '/x', { a: 1, b: { c: 2, d: 3 } })).toBe(requestHash('POST', '/x', { b: { d: 3, c: 2 }, a: 1 }));
});

it('given a business refusal, then the repeat replays the refusal without running again', async () => {
  const store = new IdempotencyStore(model);
  let runs = 0;
  const refuse = async () => {
    runs++;
    throw new AppError(ErrorCode.INSUFFICIENT_POINTS, 'Not enough points.');
  };
  await expect(store.run('k-refused', 'h', refuse)).rejects.toBeInstanceOf(AppError);
  const replay = await store.run('k-refused', 'h', refuse);
  expect(runs).toBe(1);
  expect(replay).toMatchObject({ status: 422, body: { error: { code: 'INSUFFICIENT_POINTS' } } });
});

it('given an unexpected failure, then the key is released and a retry runs', async () => {
  const store = new IdempotencyStore(model);
  await expect(store.run('k-crash', 'h', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  const retry = await store.run('k-crash', 'h', async () => ({ status: 200, body: { ok: true } }));
  expect(retry.body).toEqual({ ok: true });
});

it('given a repeat while the first is still running past the wait, then 409 IDEMPOTENCY_IN_PROGRESS', async () => {
  const store = new IdempotencyStore(model, { waitMs: 100 });
  const first = store.run('k-slow', 'h', async () => {
    await sleep(400);
    return { status: 200, body: {} };
  });
  await sleep(30);
  await expect(store.run('k-slow', 'h', async () => ({ status: 200, body: {} }))).rejects.toMatchObject({
    code: ErrorCode.IDEMPOTENCY_IN_PROGRESS,
  });
  await first;
});

it('given an owner whose lease expired (a crashed instance), then a repeat takes over and runs once', async () => {
  const past = new Date(Date.now() - 60_000);
  await model.create({ _id: 'k-orphan', requestHash: 'h', state: 'running', leaseUntil: past, createdAt: past, expiresAt: new Date(Date.now() + 3600_000) });
  const store = new IdempotencyStore(model);
  let runs = 0;
  const replies = await Promise.all(
    Array.from({ length: 5 }, () =>
      store.run('k-orphan', 'h', async () => {
        runs++;
        await sleep(30);
        return { status: 200, body: { took: 'over' } };
      }),
    ),
  );
  expect(runs).toBe(1);
  expect(replies.every((r) => (r.body as { took: string }).took === 'over')).toBe(true);
});
