import { cardNoFromBody, MEMBER_EXPORT_COLUMNS, nameKeyOf } from '@membercard/shared';
import ExcelJS from 'exceljs';
import { Types } from 'mongoose';
import { LEGACY_IMPORT_REASON } from '../src/modules/members/admin';
import { reconcilePoints } from '../src/modules/points/reconcile';
import { adminToken, staffToken, startTestApp, type TestApp } from './support/harness';

// HQ's member list (filters, total, index search), tags, exports, one-member grants and the legacy import.

// Each test makes several dozen requests; on a loaded 2-core machine that can pass jest's 5 s default.
jest.setTimeout(30_000);

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
  const withIds = docs.map((doc) => ({ _id: new Types.ObjectId(), ...doc }));
  await app.services.models.members.collection.insertMany(withIds);
  return withIds.map((m) => ({ id: String(m._id), cardNo: m.cardNo, phone: m.phone, name: m.name }));
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
      // What they buy (the purchases' per-category summary): 0 lately, 2 two months ago.
      ...(i === 0 || i === 2 ? { categoryStats: [{ category: 'INFANT_FORMULA', lastAt: new Date(now - (i === 0 ? 3 : 60) * DAY), spend12mFen: 30_000, visits: 2 }] } : {}),
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
      ['boughtCategory=INFANT_FORMULA&boughtWithinDays=30', [0]],
      ['boughtCategory=INFANT_FORMULA', [0, 2]],
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

    // A search's total stops at 1,000 (the page does not grow with the base; an exact count of a broad prefix would).
    await insertMembers(1_001, (i) => ({ name: `容量${i}` }));
    const broad = await list(`q=${encodeURIComponent('容量')}`);
    expect(broad.body).toMatchObject({ total: 1_000, totalCapped: true });
    expect(broad.body.items).toHaveLength(20);
    expect((await list(`q=${encodeURIComponent('容量100')}`)).body).toMatchObject({ total: 2, totalCapped: false }); // 容量100 and 容量1000
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

describe('tags', () => {
  it('HQ creates a tag and puts it on the filtered members once (audited), or on chosen ones; the segment filter finds them', async () => {
    const group = await insertMembers(5, (i) => ({ tier: i < 3 ? 'platinum' : 'silver', tags: ['tag-fixture'] }));
    const created = await app.api.post('/admin/member-tags', { name: '高潜力' }, marketing);
    expect(created.status).toBe(201);
    const again = await app.api.post('/admin/member-tags', { name: '高潜力' }, admin);
    expect(again.status).toBe(409);
    expect((await app.api.post('/admin/member-tags', { name: '只读' }, viewer)).status).toBe(403);

    const filter = { tags: ['tag-fixture'], tiers: ['platinum'] };
    const first = await app.api.post(`/admin/member-tags/${created.body.id}/apply`, { filter }, marketing);
    expect(first.body).toEqual({ matched: 3, tagged: 3 });
    const repeat = await app.api.post(`/admin/member-tags/${created.body.id}/apply`, { filter }, marketing);
    expect(repeat.body).toEqual({ matched: 3, tagged: 0 });
    const chosen = await app.api.post(`/admin/member-tags/${created.body.id}/apply`, { memberIds: [group[3]!.id, group[0]!.id] }, marketing);
    expect(chosen.body).toEqual({ matched: 2, tagged: 1 });

    const tags = await app.api.get('/admin/member-tags', viewer);
    expect(tags.body.items.find((t: { name: string }) => t.name === '高潜力')).toMatchObject({ memberCount: 4 });
    const preview = await app.api.post('/admin/campaigns/preview', { segment: { tags: ['高潜力'] } }, admin);
    expect(preview.body.count).toBe(4);
    expect((await list(`tags=${encodeURIComponent('高潜力')}`)).body.total).toBe(4);

    const removed = await app.api.post(`/admin/member-tags/${created.body.id}/remove`, { memberIds: [group[3]!.id] }, marketing);
    expect(removed.body).toEqual({ matched: 1, tagged: 1 });
    const audits = await app.services.models.audit.find({ targetId: created.body.id }).sort({ at: 1 }).lean();
    expect(audits.map((a) => a.action)).toEqual(['member_tag.create', 'member_tag.apply', 'member_tag.apply', 'member_tag.apply', 'member_tag.remove']);
    expect(audits[1]!.after).toMatchObject({ tag: '高潜力', filter, matched: 3, changed: 3 });

    const neither = await app.api.post(`/admin/member-tags/${created.body.id}/apply`, {}, marketing);
    expect(neither.status).toBe(400);
  });
});

describe('a coupon for one member', () => {
  it('is granted once per attempt however many parallel retries, with the reason in the audit log', async () => {
    const [member] = await insertMembers(1, () => ({ name: '赠券会员' }));
    const template = await app.services.models.couponTemplates.findOne({ status: 'active', pointsCost: null }).lean();
    const key = `grant-${new Types.ObjectId()}`;
    const body = { templateId: String(template!._id), reason: '投诉补偿：门店排队过久' };
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => app.api.post(`/admin/members/${member!.id}/coupon-grants`, body, marketing, { 'Idempotency-Key': key })),
    );
    for (const res of answers) expect([201, 409]).toContain(res.status);
    const ok = answers.filter((r) => r.status === 201);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(new Set(ok.map((r) => r.body.coupon.id)).size).toBe(1);
    for (const res of answers.filter((r) => r.status === 409)) expect(res.body.error.code).toBe('IDEMPOTENCY_IN_PROGRESS');
    const coupons = await app.services.models.coupons.find({ memberId: new Types.ObjectId(member!.id) }).lean();
    expect(coupons).toHaveLength(1);
    const audits = await app.services.models.audit.find({ action: 'coupon.grant', memberId: member!.id }).lean();
    expect(audits).toHaveLength(1);
    expect(audits[0]!.after).toMatchObject({ reason: body.reason, templateId: body.templateId });

    // A new attempt is a new coupon; a viewer may not grant; no reason is a 400.
    const second = await app.api.post(`/admin/members/${member!.id}/coupon-grants`, body, admin, { 'Idempotency-Key': `${key}-2` });
    expect(second.status).toBe(201);
    expect(second.body.coupon.id).not.toBe(ok[0]!.body.coupon.id);
    expect((await app.api.post(`/admin/members/${member!.id}/coupon-grants`, body, viewer, { 'Idempotency-Key': `${key}-3` })).status).toBe(403);
    const noReason = await app.api.post(`/admin/members/${member!.id}/coupon-grants`, { templateId: body.templateId }, admin, { 'Idempotency-Key': `${key}-4` });
    expect(noReason.status).toBe(400);
  });
});

async function finishedExport(token: string, body: unknown) {
  const started = await app.api.post('/admin/member-exports', body, token);
  expect(started.status).toBe(202);
  expect(started.body.status).toBe('running');
  await Promise.all(app.services.membersAdmin.running);
  const done = await app.api.get(`/admin/member-exports/${started.body.id}`, token);
  expect(done.body).toMatchObject({ status: 'done', total: started.body.total, written: started.body.total });
  const file = await fetch(`${app.url}/api/v1/admin/member-exports/${started.body.id}/file`, { headers: { authorization: `Bearer ${token}` } });
  expect(file.status).toBe(200);
  return { job: done.body, file };
}

describe('exports', () => {
  let tierNames: Map<string, string>;
  beforeAll(async () => {
    tierNames = new Map((await app.services.settings.get()).tiers.map((t) => [t.code, t.name]));
  });
  it('writes the filtered members as CSV, phones in full for an HQ admin and masked for marketing, audited', async () => {
    const group = await insertMembers(3, (i) => ({ name: ['导出甲', '=HYPERLINK("x")', '逗号,引号"'][i], tier: 'gold', tags: ['export-csv', '老客'], spend12mFen: 173_150 }));
    const { job, file } = await finishedExport(admin, { format: 'csv', filter: { tags: ['export-csv'] } });
    expect(job.phonesMasked).toBe(false);
    expect(file.headers.get('content-type')).toContain('text/csv');
    const bytes = Buffer.from(await file.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // the BOM Excel needs to read UTF-8
    const lines = bytes.subarray(3).toString('utf8').trimEnd().split('\r\n');
    expect(lines[0]).toBe(MEMBER_EXPORT_COLUMNS.join(','));
    expect(lines).toHaveLength(4);
    const tierName = (code: string) => tierNames.get(code);
    expect(lines[1]).toContain(`${group[0]!.cardNo},导出甲,${group[0]!.phone},${tierName('gold')},0,1731.50,上海静安店,`);
    expect(lines[1]!.endsWith(',export-csv、老客')).toBe(true);
    expect(lines[2]).toContain(`,"'=HYPERLINK(""x"")",`); // kept as text, not a formula
    expect(lines[3]).toContain(',"逗号,引号""",');

    const masked = await finishedExport(marketing, { format: 'csv', filter: { tags: ['export-csv'] } });
    expect(masked.job.phonesMasked).toBe(true);
    const maskedText = await masked.file.text();
    expect(maskedText).not.toContain(group[0]!.phone);
    expect(maskedText).toContain(`${group[0]!.phone.slice(0, 3)}****${group[0]!.phone.slice(-4)}`);

    const audit = await app.services.models.audit.findOne({ action: 'member_export.create', targetId: job.id }).lean();
    expect(audit!.after).toMatchObject({ format: 'csv', filter: { tags: ['export-csv'] }, total: 3, phonesMasked: false });
    // Only its creator may read an export.
    expect((await app.api.get(`/admin/member-exports/${job.id}`, marketing)).status).toBe(404);
  });

  it('streams a large XLSX export with progress, parsed back whole', async () => {
    const count = 5_000;
    const group = await insertMembers(count, (i) => ({ name: `批量${i}`, tags: ['export-xlsx'], spend12mFen: i * 100 + 5 }));
    const { job, file } = await finishedExport(admin, { format: 'xlsx', filter: { tags: ['export-xlsx'] } });
    expect(job.total).toBe(count);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(Buffer.from(await file.arrayBuffer()) as never);
    const sheet = workbook.getWorksheet('会员')!;
    expect(sheet.rowCount).toBe(count + 1);
    expect((sheet.getRow(1).values as unknown[]).slice(1)).toEqual([...MEMBER_EXPORT_COLUMNS]);
    const row = (n: number) => (sheet.getRow(n + 2).values as unknown[]).slice(1);
    expect(row(0).slice(0, 6)).toEqual([group[0]!.cardNo, '批量0', group[0]!.phone, tierNames.get('silver'), 0, 0.05]);
    expect(row(count - 1).slice(0, 2)).toEqual([group[count - 1]!.cardNo, `批量${count - 1}`]);
    expect(row(1234)[5]).toBe(1234.05);
  }, 60_000);
});

describe('the legacy import', () => {
  const header = '卡号,手机号,姓名,生日,等级,积分';
  const good = ['L-0001,13800000001,王小明,1990-05-20,金卡,1200', 'L-0002,138 0000 0002,Li Lei,1985/1/3,,0', 'L-0003,,赵六,,silver,"3,500"'];
  const bad = [
    'L-0001,13800000009,重复,,,', // line 5: card number repeats line 2
    ',13800000010,无卡号,,,', // line 6
    'L-0006,1234,坏手机,2099-01-01,钻石,-5', // line 7: phone, birthday, tier, points
    'L-0007,13800000001,同号,1990-02-30,,abc', // line 8: phone repeats line 2, date, points
    'L-0008,13800000011', // line 9: columns
  ];
  const file = (lines: string[]) => `\ufeff${[header, ...lines].join('\r\n')}\r\n`;
  const run = (csv: string, dryRun: boolean, token = admin) => app.api.post('/admin/member-imports', { fileName: 'legacy.csv', csv, dryRun }, token);

  it('reports every bad row in a dry run (row, column, why in Chinese) and writes nothing', async () => {
    const before = await app.services.models.members.countDocuments();
    const res = await run(file([...good, ...bad]), true);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: null, dryRun: true, rows: 8, valid: 3, created: 3, alreadyImported: 0, openingPoints: 4_700 });
    const problems = res.body.problems.map((p: { row: number; column: string; message: string }) => `${p.row}|${p.column}|${p.message}`);
    expect(problems).toEqual([
      '5|卡号|与第 2 行的卡号重复',
      '6|卡号|卡号不能为空',
      '7|手机号|手机号“1234”不是 11 位中国大陆手机号',
      '7|生日|生日不能晚于今天',
      expect.stringMatching(/^7\|等级\|没有名为“钻石”的等级（可用：/),
      '7|积分|积分“-5”应为不小于 0 的整数',
      '8|手机号|与第 2 行的手机号重复',
      '8|生日|生日“1990-02-30”不是有效日期（格式：1990-05-20）',
      '8|积分|积分“abc”应为不小于 0 的整数',
      '9||这一行有 2 列，表头有 6 列',
    ]);
    expect(await app.services.models.members.countDocuments()).toBe(before);
    expect(await app.services.models.memberImports.countDocuments()).toBe(0);

    const headerless = await run('姓名,电话\n张三,1', true);
    expect(headerless.body.problems.map((p: { message: string }) => p.message)).toEqual(['无法识别的列“电话”（可用：卡号、手机号、姓名、生日、等级、积分）', '缺少“卡号”列']);
    const unclosed = await run(`${header}\nL-9,"138,王,,,`, true);
    expect(unclosed.body.problems[0].message).toBe('文件不是有效的 CSV（引号没有闭合）');
    expect((await run(file(good), true, marketing)).status).toBe(403);
  });

  it('imports the good rows with opening balances as ledger entries and lots; a re-run (even in parallel) doubles nothing; reconcile is clean', async () => {
    const csv = file([...good, ...bad]);
    const first = await run(csv, false);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ dryRun: false, rows: 8, valid: 3, created: 3, alreadyImported: 0, openingPoints: 4_700 });
    expect(first.body.problems).toHaveLength(10);
    const reruns = await Promise.all([run(csv, false), run(csv, false)]);
    for (const res of reruns) expect(res.body).toMatchObject({ created: 0, alreadyImported: 3, openingPoints: 0 });

    const imported = await app.services.models.members.find({ legacyCardNo: { $in: ['L-0001', 'L-0002', 'L-0003'] } }).sort({ legacyCardNo: 1 }).lean();
    expect(imported.map((m) => [m.legacyCardNo, m.phone, m.name, m.birthday, m.tier, m.pointsBalance, m.status])).toEqual([
      ['L-0001', '13800000001', '王小明', '1990-05-20', 'gold', 1200, 'active'],
      ['L-0002', '13800000002', 'Li Lei', '1985-01-03', 'silver', 0, 'active'],
      ['L-0003', null, '赵六', null, 'silver', 3500, 'active'],
    ]);
    for (const m of imported) expect(m.cardNo).toMatch(/^\d{12}$/);
    const entries = await app.services.models.ledger.find({ memberId: { $in: imported.map((m) => m._id) } }).lean();
    expect(entries.map((e) => [e.delta, e.reason, e.source, e.idempotencyKey]).sort()).toEqual([
      [1200, LEGACY_IMPORT_REASON, 'adjustment', 'legacy_import:L-0001'],
      [3500, LEGACY_IMPORT_REASON, 'adjustment', 'legacy_import:L-0003'],
    ]);
    const lots = await app.services.models.lots.find({ memberId: { $in: imported.map((m) => m._id) } }).lean();
    expect(lots.map((l) => l.remaining).sort()).toEqual([1200, 3500]);
    expect((await reconcilePoints(app.services.models)).breaks).toEqual([]);

    // Searchable like any member; the batches are recorded and audited.
    expect((await list('q=li%20l')).body.items.map((m: { id: string }) => m.id)).toEqual([String(imported[1]!._id)]);
    const history = await app.api.get('/admin/member-imports', admin);
    expect(history.body.items.map((b: { created: number }) => b.created).sort()).toEqual([0, 0, 3]);
    expect(await app.services.models.audit.countDocuments({ action: 'member_import.run' })).toBe(3);


    // Two first runs of one file at once: each row is created by one of them, its balance booked once.
    const fresh = file(Array.from({ length: 12 }, (_, i) => `P-${100 + i},,并行${i},,,${10 + i}`));
    const racing = await Promise.all([run(fresh, false), run(fresh, false)]);
    expect(racing.map((r) => r.body.created).reduce((a, b) => a + b)).toBe(12);
    expect(racing.map((r) => r.body.openingPoints).reduce((a, b) => a + b)).toBe(12 * 10 + 66);
    expect(await app.services.models.members.countDocuments({ legacyCardNo: /^P-/ })).toBe(12);
    expect((await reconcilePoints(app.services.models)).breaks).toEqual([]);

    // A phone an imported member now holds is refused for another legacy card.
    const clash = await run(file(['L-0100,13800000001,别人,,,']), true);
    expect(clash.body.problems).toEqual([{ row: 2, column: '手机号', message: '手机号 138****0001 已属于另一位会员' }]);
  });
});
