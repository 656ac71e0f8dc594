import { MongoClient } from 'mongodb';
import { startServer } from '../src';

// A long aggregation lets other connections' point reads and writes through while it scans, instead of holding
// them until it is done (the HQ dashboard's aggregations used to hold counter scans for seconds).

test('point reads and writes are answered while a long aggregation scans', async () => {
  const server = await startServer({ port: 0 });
  const analyst = await MongoClient.connect(server.uri);
  const counter = await MongoClient.connect(server.uri);
  try {
    const members = analyst.db('app').collection<{ _id: number; store: string; spend: number; note: string }>('members');
    for (let i = 0; i < 30_000; i += 5_000)
      await members.insertMany(Array.from({ length: 5_000 }, (_, k) => ({ _id: i + k, store: `S${(i + k) % 7}`, spend: (i + k) % 997, note: 'x'.repeat(100) })));

    let aggregateDone = false;
    const aggregation = members
      .aggregate<{ _id: string; spend: number; n: number }>([{ $match: { spend: { $gte: 0 } } }, { $group: { _id: '$store', spend: { $sum: '$spend' }, n: { $sum: 1 } } }])
      .toArray()
      .then((rows) => {
        aggregateDone = true;
        return rows;
      });
    // give the aggregate its turn first, then ask for one member and write one from another connection
    await new Promise((resolve) => setImmediate(resolve));
    const counterMembers = counter.db('app').collection<{ _id: number; spend: number }>('members');
    expect((await counterMembers.findOne({ _id: 42 }))!.spend).toBe(42);
    await counterMembers.updateOne({ _id: 29_999 }, { $inc: { spend: 0 } });
    expect(aggregateDone).toBe(false);

    const rows = await aggregation;
    expect(rows.reduce((sum, row) => sum + row.n, 0)).toBe(30_000);
    // inside a transaction the same aggregation reads in one go and sees its snapshot
    const session = counter.startSession();
    await session.withTransaction(async () => {
      const inTxn = await counterMembers.aggregate<{ n: number }>([{ $match: { spend: { $gte: 0 } } }, { $count: 'n' }], { session }).toArray();
      expect(inTxn[0]!.n).toBe(30_000);
    });
    await session.endSession();
  } finally {
    await analyst.close();
    await counter.close();
    await server.stop();
  }
}, 60_000);
