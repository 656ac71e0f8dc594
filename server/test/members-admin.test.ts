import { cardNoFromBody, MEMBER_EXPORT_COLUMNS, nameKeyOf } from '@membercard/shared';
import ExcelJS from 'exceljs';
import { Types } from 'mongoose';
import { LEGACY_IMPORT_REASON } from '../src/modules/members/admin';
import { reconcilePoints } from '../src/modules/points/reconcile';
import { adminToken, staffToken, startTestApp, type TestApp } from './support/harness';

// HQ's member list (filters, total, index search), tags, exports, one-member grants and the legacy import.

let app: TestApp;
let admin: string;
let marketing: string;
let viewer: string;
let manager: string;
const DAY = 86_400_000;

beforeAll(async () => {
  app = await startTestApp();
  [admin, marketing, manager] = await Promise.all([
    adminToken(app.api),
    app.api.post('/auth/admin', { username: 'hq-marketing', password: 'marketing-demo-pass' }).then((r) => r.body.token as string),
    staffToken(app.api, 'sh01-manager'),
  ]);
  viewer = (await app.api.post('/auth/admin', { username: 'hq-viewer', password: 'viewer-demo-pass' })).body.token;
}, 30_000);
afterAll(async () => {
  await app.stop();
});

let cardSeq = 10_000_000_000;
/** Members as a bulk load would write them (the fixture), each with a distinct card number and phone. */
async function insertMembers(count: number, shape: (i: number) => Record<string, unknown>) {
  const now = app.clock.now();
  const docs = Array.from({ length: count }, (_, i) => {
    const cardNo = cardNoFromBody(String(++cardSeq));
    const fields = { name: null as string | null, ...shape(i) };
    return {
      status: 'active', cardNo, homeStoreId: 'SH01', tier: 'silver', pointsBalance: 0, spend12mFen: 0, tags: [], profileComplete: false,
      joinedAt: now, createdAt: now, phone: `139${String(cardSeq).slice(-8)}`,
      ...fields, nameKey: fields.name ? nameKeyOf(fields.name) : null,
    };
  });
  const inserted = await app.services.models.members.insertMany(docs);
  return inserted.map((m) => ({ id: String(m._id), cardNo: m.cardNo!, phone: m.phone!, name: m.name ?? null }));
}

const list = (query: string, token = admin) => app.api.get(`/admin/members?${query}`, token);

async function listAll(query: string, token = admin, limit = 2): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await list(`${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, token);
    expect(res.status).toBe(200);
    ids.push(...res.body.items.map((m: { id: string }) => m.id));
    cursor = res.body.nextCursor;
  } while (cursor);
  return ids;
}

describe('the member list', () => {
  let group: Awaited<ReturnType<typeof insertMembers>>;
  const tag = 'list-fixture';
  beforeAll(async () => {
    const now = app.clock.now().getTime();
    group = await insertMembers(8, (i) => ({
      name: ['Alice Wang', 'alice Zhao', '张伟', '张伟', '张三丰', '李四', 'ＢＯＢ', null][i],
      tier: i < 3 ? 'gold' : 'silver',
      homeStoreId: i % 2 === 0 ? 'SH01' : 'BJ01',
      joinedAt: new Date(now - i * 10 * DAY),
      lastPurchaseAt: i < 4 ? new Date(now - i * 12 * DAY) : null,
      tags: [tag, ...(i === 5 ? ['vip'] : [])],
    }));
    // Points as the product books them: ledger entries and lots.
    await app.services.ledger.earn({ memberId: group[0]!.id, amount: 500, reason: 'test', source: 'bonus', idempotencyKey: `t:${group[0]!.id}` });
    await app.services.ledger.earn({ memberId: group[1]!.id, amount: 2_000, reason: 'test', source: 'bonus', idempotencyKey: `t:${group[1]!.id}` });
  });
  const ids = (indexes: number[]) => indexes.map((i) => group[i]!.id).sort();

  it('filters by tier, store, joined, points, last visit and tags, with the total, paged without repeats', async () => {
    const cases: Array<[string, number[]]> = [
      ['', [0, 1, 2, 3, 4, 5, 6, 7]],
      ['tiers=gold', [0, 1, 2]],
      ['homeStoreIds=BJ01', [1, 3, 5, 7]],
      ['tiers=gold,silver&homeStoreIds=SH01', [0, 2, 4, 6]],
      [`joinedAfter=${new Date(app.clock.now().getTime() - 25 * DAY).toISOString()}`, [0, 1, 2]],
      ['minPoints=100&maxPoints=1000', [0]],
      ['minPoints=1', [0, 1]],
      ['maxPoints=0', [2, 3, 4, 5, 6, 7]],
      ['visitedWithinDays=20', [0, 1]],
      ['notVisitedWithinDays=20', [2, 3, 4, 5, 6, 7]],
      ['tags=vip', [5]],
    ];
    for (const [query, expected] of cases) {
      const scoped = `tags=${tag}&${query}`.replace(`tags=${tag}&tags=vip`, 'tags=vip');
      const first = await list(`${scoped}&limit=2`);
      expect(first.status).toBe(200);
      expect({ query, total: first.body.total }).toEqual({ query, total: expected.length });
      const all = await listAll(scoped);
      expect({ query, ids: [...all].sort() }).toEqual({ query, ids: ids(expected) });
    }
    const item = (await list(`tags=vip`)).body.items[0];
    expect(item).toMatchObject({ id: group[5]!.id, tags: [tag, 'vip'], lastPurchaseAt: null, tier: { code: 'silver' } });
  });

  it('means the same members as a campaign segment with the same choices', async () => {
    const segment = { tiers: ['gold'], tags: [tag], purchasedWithinDays: 30 };
    const preview = await app.api.post('/admin/campaigns/preview', { segment }, admin);
    expect(preview.status).toBe(200);
    const listed = await list(`tiers=gold&tags=${tag}&visitedWithinDays=30`);
    expect(listed.body.total).toBe(preview.body.count);
    expect(listed.body.total).toBe(3);
  });

  it('searches by card number, phone and name prefix (normalized, paged in name order)', async () => {
    const byCard = await list(`q=${group[3]!.cardNo}`);
    expect(byCard.body.items.map((m: { id: string }) => m.id)).toEqual([group[3]!.id]);
    const byPhone = await list(`q=${encodeURIComponent(`+86${group[4]!.phone}`)}`);
    expect(byPhone.body.items.map((m: { id: string }) => m.id)).toEqual([group[4]!.id]);
    // Case and full-width forms do not matter; ties (two 张伟) page by id without repeats.
    expect(await listAll('q=ALICE')).toEqual([group[0]!.id, group[1]!.id]);
    expect(await listAll('q=bob', admin, 1)).toEqual([group[6]!.id]);
    // 张三丰 before 张伟 (三 U+4E09 < 伟 U+4F1F), then the two 张伟 by id, one per page.
    expect(await listAll(`q=${encodeURIComponent('张')}`, admin, 1)).toEqual([group[4]!.id, group[2]!.id, group[3]!.id]);
    expect(await listAll(`q=${encodeURIComponent('张伟')}`, admin, 1)).toEqual([group[2]!.id, group[3]!.id]);
  });

  it('shows a manager only their store’s members, and refuses a bad cursor with 400', async () => {
    const scoped = await listAll(`tags=${tag}`, manager);
    expect(scoped.sort()).toEqual(ids([0, 2, 4, 6]));
    const outside = await list(`tags=${tag}&homeStoreIds=BJ01`, manager);
    expect(outside.body.total).toBe(0);
    const bad = await list('cursor=nonsense');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    const badPoints = await list('minPoints=-1');
    expect(badPoints.status).toBe(400);
  });
});
