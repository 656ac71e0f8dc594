import { MongoClient, MongoServerError } from 'mongodb';
import { startServer } from '../src';
import { MemoryCeiling } from '../src/memoryCeiling';

// Past its heap ceiling the server refuses writes that add data with a clear error instead of growing until the
// process dies; reads and deletes go on, and writes resume once memory is back under the ceiling.

test('over the ceiling: inserts, updates and $out are refused with ExceededMemoryLimit; reads and deletes work', async () => {
  const server = await startServer({ port: 0, heapCeilingBytes: 1 });
  const client = await MongoClient.connect(server.uri);
  const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    const items = client.db('app').collection<{ _id: number; n?: number }>('items');
    const refused = await items.insertOne({ _id: 1 }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(MongoServerError);
    expect(refused).toMatchObject({ code: 146, codeName: 'ExceededMemoryLimit' });
    await expect(items.updateOne({ _id: 1 }, { $set: { n: 1 } }, { upsert: true })).rejects.toMatchObject({ code: 146 });
    await expect(items.aggregate([{ $match: {} }, { $out: 'copy' }]).toArray()).rejects.toMatchObject({ code: 146 });
    expect(await items.find().toArray()).toEqual([]);
    expect((await items.deleteMany({})).acknowledged).toBe(true);
    // one log line for the episode, not one per refused write
    expect(errors.mock.calls.filter(([line]) => String(line).includes('past its ceiling'))).toHaveLength(1);
  } finally {
    errors.mockRestore();
    await client.close();
    await server.stop();
  }
});

test('writes resume once the heap is back under the ceiling, and the next episode is logged again', () => {
  let used = 900;
  const ceiling = new MemoryCeiling(1000, () => used);
  const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    expect(ceiling.exceeded()).toBe(false);
    used = 1200;
    expect(ceiling.exceeded()).toBe(true);
    expect(ceiling.exceeded()).toBe(true);
    used = 800;
    expect(ceiling.exceeded()).toBe(false);
    used = 1000;
    expect(ceiling.exceeded()).toBe(true);
    expect(errors).toHaveBeenCalledTimes(2);
  } finally {
    errors.mockRestore();
  }
});

test('the default ceiling sits below the heap V8 allows', async () => {
  const ceiling = MemoryCeiling.defaultCeilingBytes();
  expect(ceiling).toBeGreaterThan(100 * 1024 * 1024);
  const server = await startServer({ port: 0 });
  const client = await MongoClient.connect(server.uri);
  await client.db('app').collection('items').insertOne({ _id: 1 } as never);
  expect(await client.db('app').collection('items').countDocuments()).toBe(1);
  await client.close();
  await server.stop();
});
