import { DAY_MS, DEFAULT_HOLDOUT_SHARE, holdoutDraw, type EarnRules, type Segment } from '@membercard/shared';
import type { Logger } from 'pino';
import { Types } from 'mongoose';
import { hashPassword } from '../../lib/passwords';
import type { ActivityDoc } from '../../modules/activities/model';
import type { AutomationRuleDoc } from '../../modules/automation/model';
import { AUTOMATION_RULES } from '../../modules/automation/service';
import type { CampaignDoc, SavedSegmentDoc } from '../../modules/campaigns/model';
import { couponIssueBatchModel, type CouponIssueBatchDoc, type CouponTemplateDoc } from '../../modules/coupons/model';
import { pathSafe } from '../../modules/campaigns/pusher';
import type { MemberTagDoc } from '../../modules/members/admin-model';
import { MEMBER_TAGS } from './people';
import type { Services } from '../../services';
import { Random } from './random';
import { seedDemoTheme } from './theme';
import { simulateBrand, sketchMembers, type BrandDocs, type BrandPlan, type BrandStore, type MemberSketch, type PlannedActivity, type PlannedCampaign } from './simulate';

// The demo brand `npm start` opens on: four stores, 2,000 members who joined over the last 12 months (and a
// founding cohort from the programme's first months, whose oldest points have expired), their year of
// purchases, points, coupons, activities, automation and two finished campaigns. Everything is drawn from one
// seeded generator against the clock's "now", lived in memory (simulate.ts) and inserted in bulk.

export const BRAND_SEED = 'membercard-demo-brand-v1';
export const BRAND_MEMBERS = 2_000;
export const FOUNDING_MEMBERS = 240;
const HOUR_MS = 3600_000;
const INSERT_CHUNK = 5_000;

/** The stores beyond the minimal demo's two, with one clerk each (password as the other demo staff). */
export const BRAND_STORES = [
  { id: 'SH01', name: '上海静安店', city: '上海', openedDaysAgo: 1_000, weight: 4 },
  { id: 'BJ01', name: '北京朝阳店', city: '北京', openedDaysAgo: 800, weight: 3 },
  { id: 'SZ01', name: '深圳万象天地店', city: '深圳', openedDaysAgo: 300, weight: 3 },
  { id: 'HZ01', name: '杭州湖滨店', city: '杭州', openedDaysAgo: 150, weight: 2.5 },
];
export const BRAND_ACCOUNTS = [
  { username: 'sz01-clerk', password: 'staff-demo-pass', name: '万象天地店员', role: 'clerk' as const, storeId: 'SZ01' },
  { username: 'hz01-clerk', password: 'staff-demo-pass', name: '湖滨店员', role: 'clerk' as const, storeId: 'HZ01' },
];

/** The Wednesday member day: double points (read by earnPoints through activeCampaignMultiplier). */
const MEMBER_DAY = { id: 'member-day', name: '周三会员日 积分翻倍', multiplier: 2, weekdays: [3], enabled: true };

type TemplateSpec = Omit<CouponTemplateDoc, '_id' | 'status' | 'issuedCount' | 'remaining' | 'createdAt' | 'updatedAt' | 'storeIds' | 'tiers'> & { storeIds?: string[] };

const PAST_ACTIVITIES = [
  { title: '手冲咖啡入门课', storeId: 'SH01', daysAgo: 320, capacity: 16, points: 50, description: '咖啡师带你认识产区、研磨度与水温，现场手冲三款咖啡。', personas: ['coffee', 'office'] },
  { title: '葡萄酒品鉴之夜', storeId: 'BJ01', daysAgo: 280, capacity: 24, points: 80, description: '侍酒师讲解新旧世界葡萄酒，配奶酪拼盘。', personas: ['entertaining', 'foodie'] },
  { title: '亲子水果拼盘', storeId: 'SH01', daysAgo: 230, capacity: 20, points: 50, description: '和孩子一起用当季水果做拼盘，学一点营养知识。', personas: ['young_family', 'healthy'] },
  { title: '中秋月饼DIY', storeId: 'SZ01', daysAgo: 85, capacity: 20, points: 80, description: '现场制作冰皮月饼，带走自己做的礼盒。', personas: ['young_family', 'foodie', 'coffee'] },
  { title: '宠物友好市集', storeId: 'HZ01', daysAgo: 60, capacity: 40, points: 50, description: '带上毛孩子逛市集，试吃冻干零食。', personas: ['pet'] },
  { title: '轻食沙拉工作坊', storeId: 'BJ01', daysAgo: 40, capacity: 18, points: 60, description: '营养师教你搭配一周的轻食沙拉。', personas: ['healthy', 'office'] },
  { title: '法式可颂烘焙体验', storeId: 'SZ01', daysAgo: 20, capacity: 12, points: 100, description: '从开酥到烘烤，做出层次分明的可颂。', personas: ['coffee', 'young_family'] },
  { title: '秋冬红酒配餐课', storeId: 'SH01', daysAgo: 9, capacity: 24, points: 80, description: '红酒与炖菜、烤肉的搭配要点。', personas: ['entertaining', 'foodie'] },
];
const UPCOMING_ACTIVITIES = [
  { title: '冬日暖饮工作坊', storeId: 'BJ01', daysAhead: 5, capacity: 20, points: 50, description: '热红酒、姜枣茶与可可，三款冬日暖饮现场调制。', personas: ['coffee', 'healthy'] },
  { title: '圣诞红酒晚宴', storeId: 'SH01', daysAhead: 18, capacity: 30, points: 100, description: '主厨四道菜配四款葡萄酒，会员专享。', personas: ['entertaining', 'foodie'] },
  { title: '跨年亲子烘焙', storeId: 'SZ01', daysAhead: 26, capacity: 16, points: 80, description: '和孩子一起做跨年姜饼屋。', personas: ['young_family'] },
];

/** Everything the demo brand writes, drawn in memory. */
export interface DrawnBrand {
  docs: BrandDocs;
  templates: CouponTemplateDoc[];
  mall: CouponTemplateDoc;
  mallIssued: number;
  batches: CouponIssueBatchDoc[];
  campaigns: CampaignDoc[];
  activities: ActivityDoc[];
  rules: AutomationRuleDoc[];
  hqAudit: ReturnType<typeof setupAudit>;
  tags: MemberTagDoc[];
  segments: SavedSegmentDoc[];
}

/** Seeds the brand: drawn (drawDemoBrand), then inserted in bulk. */
export async function seedDemoBrand(services: Services, logger: Logger): Promise<void> {
  const started = Date.now();
  const drawn = await drawDemoBrand(services);
  const drawnMs = Date.now() - started;
  await writeDemoBrand(services, drawn);
  const { docs } = drawn;
  logger.info(
    { members: docs.members.length, purchases: docs.purchases.length, ledgerEntries: docs.ledger.length, coupons: docs.coupons.length, drawnMs, totalMs: Date.now() - started },
    'demo brand seeded',
  );
}

/**
 * The brand as of the clock's minute: stores, clerks and the member day are put in place (idempotent writes),
 * then members, their years and what follows from them are drawn from the seeded generator, written nowhere yet.
 * The same minute and the same database draw the same brand.
 */
export async function drawDemoBrand(services: Services): Promise<DrawnBrand> {
  const { models, clock } = services;
  // "Now" to the minute: two seeds started in the same minute draw the same brand.
  const now = new Date(Math.floor(clock.now().getTime() / 60_000) * 60_000);
  const random = new Random(BRAND_SEED);

  // ---- stores and their clerks ----
  const stores: BrandStore[] = [];
  for (const store of BRAND_STORES) {
    const openedAt = new Date(now.getTime() - store.openedDaysAgo * DAY_MS);
    await models.stores.updateOne({ _id: store.id }, { $set: { createdAt: openedAt }, $setOnInsert: { name: store.name, city: store.city, active: true } }, { upsert: true });
  }
  for (const account of BRAND_ACCOUNTS) {
    await models.staff.updateOne(
      { username: account.username },
      { $setOnInsert: { name: account.name, role: account.role, hqRole: null, storeId: account.storeId, passwordHash: await hashPassword(account.password), active: true, createdAt: now } },
      { upsert: true },
    );
  }
  const staff = await models.staff.find({}, { _id: 1, username: 1, role: 1, hqRole: 1, storeId: 1 }).lean<Array<{ _id: Types.ObjectId; username: string; role: string; hqRole?: string | null; storeId: string | null }>>();
  for (const store of BRAND_STORES) {
    const clerkIds = staff.filter((s) => s.storeId === store.id && (s.role === 'clerk' || s.role === 'manager')).map((s) => String(s._id));
    if (clerkIds.length === 0) throw new Error(`demo store ${store.id} has no staff`);
    stores.push({ id: store.id, name: store.name, city: store.city, openedAt: new Date(now.getTime() - store.openedDaysAgo * DAY_MS), weight: store.weight, clerkIds });
  }
  const hqAdmin = staff.find((s) => s.username === 'hq')!;
  const hqMarketing = staff.find((s) => s.username === 'hq-marketing')!;

  // ---- programme settings: the member day ----
  const current = await services.settings.get();
  const earnRules: EarnRules = { ...current.earnRules, campaigns: [...current.earnRules.campaigns.filter((c) => c.id !== MEMBER_DAY.id), MEMBER_DAY] };
  const settings = await services.settings.update({ earnRules });
  const programStart = new Date(now.getTime() - 600 * DAY_MS);

  // ---- coupon templates ----
  const template = (spec: TemplateSpec, createdAt: Date): CouponTemplateDoc => ({
    _id: random.objectId(createdAt),
    minSpendFen: null, amountOffFen: null, percentOff: null, maxOffFen: null, giftName: null, validFrom: null, validUntil: null, validDays: null, pointsCost: null,
    ...spec,
    storeIds: spec.storeIds ?? [],
    tiers: [],
    status: 'active',
    issuedCount: 0,
    remaining: spec.totalQuantity,
    createdAt,
    updatedAt: createdAt,
  });
  const setupAt = chinaDayAt(programStart, -3, 10);
  const mall = await models.couponTemplates.findOne({ pointsCost: { $ne: null } }).lean<CouponTemplateDoc>();
  if (!mall) throw new Error('the minimal demo seed creates the points-mall template first');
  // Launched by hand on a weekday morning, China time.
  const campaignA = { launchedAt: chinaDayAt(now, -28, 10), days: 14 };
  const campaignB = { launchedAt: chinaDayAt(now, -75, 10.5), days: 21 };
  const templates = {
    welcome: template({ title: '入会礼 满50减15', type: 'cash', minSpendFen: 5_000, amountOffFen: 1_500, validDays: 30, totalQuantity: 20_000, perMemberLimit: 1 }, setupAt),
    birthday: template({ title: '生日礼 巴斯克芝士蛋糕', type: 'gift', giftName: '巴斯克芝士蛋糕一份', validDays: 31, totalQuantity: 20_000, perMemberLimit: 5 }, setupAt),
    winBack: template({ title: '好久不见 满100减25', type: 'cash', minSpendFen: 10_000, amountOffFen: 2_500, validDays: 14, totalQuantity: 20_000, perMemberLimit: 20 }, setupAt),
    tierUpgrade: template({ title: '升级礼 全场9折（最高减50元）', type: 'discount', percentOff: 10, maxOffFen: 5_000, validDays: 30, totalQuantity: 20_000, perMemberLimit: 5 }, setupAt),
    mall,
  };
  const campaignTemplates = {
    a: template({ title: '双11 满300减60', type: 'cash', minSpendFen: 30_000, amountOffFen: 6_000, validFrom: campaignA.launchedAt, validUntil: new Date(campaignA.launchedAt.getTime() + campaignA.days * DAY_MS), totalQuantity: 3_000, perMemberLimit: 1 }, new Date(campaignA.launchedAt.getTime() - 2 * DAY_MS)),
    b: template({ title: '秋季回归礼 满120减30', type: 'cash', minSpendFen: 12_000, amountOffFen: 3_000, validFrom: campaignB.launchedAt, validUntil: new Date(campaignB.launchedAt.getTime() + campaignB.days * DAY_MS), totalQuantity: 2_000, perMemberLimit: 1 }, new Date(campaignB.launchedAt.getTime() - 3 * DAY_MS)),
  };

  // ---- campaigns, each holding out a share by the shared draw, as the pusher does ----
  const campaign = (name: string, tpl: CouponTemplateDoc, segment: Segment, launchedAt: Date, holdoutShare: number, extraVisit: number, use: number, saved?: SavedSegmentDoc): PlannedCampaign => {
    const holdoutSeed = random.hex(32);
    return {
      id: random.objectId(new Date(launchedAt.getTime() - DAY_MS)),
      name,
      template: tpl,
      segment,
      source: saved ? { savedSegmentId: saved._id, name: saved.name } : null,
      createdAt: new Date(launchedAt.getTime() - DAY_MS),
      launchedAt,
      completedAt: new Date(launchedAt.getTime() + 3 * 60_000),
      holdoutShare,
      holdoutSeed,
      heldOut: (memberId) => {
        const value = holdoutDraw(holdoutSeed, memberId);
        return { draw: value, held: holdoutShare > 0 && value < holdoutShare };
      },
      extraVisit,
      use,
    };
  };
  // Saved segments HQ built (the autumn win-back campaign started from the first).
  const segments: SavedSegmentDoc[] = [
    { name: '沉睡预警：60–180 天未到店', segment: { purchasedWithinDays: 180, notPurchasedWithinDays: 60 }, createdAt: chinaDayAt(campaignB.launchedAt, -2, 15) },
    { name: '高价值会员（金卡及以上）', segment: { tiers: ['gold', 'platinum'] }, createdAt: chinaDayAt(now, -120, 11) },
    { name: '宝妈：30 天内买过奶粉', segment: { boughtCategory: { category: 'INFANT_FORMULA', withinDays: 30 } }, createdAt: chinaDayAt(now, -45, 16) },
  ].map((segment) => ({ _id: random.objectId(segment.createdAt), ...segment }));
  // Each: holdout share, the chance its coupon brings a treated member in, the chance they use it on a visit it
  // applies to. A lapsing audience answers a coupon more than an active one, whose members come anyway.
  const campaigns = [
    campaign('秋季唤醒：60–180 天未到店会员', campaignTemplates.b, segments[0]!.segment, campaignB.launchedAt, 0.2, 0.18, 0.3, segments[0]!),
    campaign('双11 活跃会员回馈', campaignTemplates.a, { purchasedWithinDays: 60 }, campaignA.launchedAt, DEFAULT_HOLDOUT_SHARE, 0.1, 0.25),
  ];

  const plan: BrandPlan = {
    now,
    random,
    members: BRAND_MEMBERS,
    foundingMembers: FOUNDING_MEMBERS,
    programStart,
    stores,
    tiers: settings.tiers,
    earnRules: settings.earnRules,
    profileBonusPoints: settings.profileBonusPoints,
    privacyPolicyVersion: settings.privacyPolicyVersion,
    templates,
    campaigns,
    activities: [],
  };
  const sketches = sketchMembers(plan);
  plan.activities = planActivities(plan, sketches);
  const docs = simulateBrand(plan, sketches);

  // ---- what follows from the members' years ----
  const allTemplates = [templates.welcome, templates.birthday, templates.winBack, templates.tierUpgrade, campaignTemplates.a, campaignTemplates.b];
  const issued = new Map<string, number>();
  for (const coupon of docs.coupons) issued.set(String(coupon.templateId), (issued.get(String(coupon.templateId)) ?? 0) + 1);
  for (const t of allTemplates) {
    t.issuedCount = issued.get(String(t._id)) ?? 0;
    t.remaining = t.totalQuantity - t.issuedCount;
    if (t.remaining < 0) throw new Error(`demo template ${t.title} issued past its quantity`);
  }
  const mallIssued = issued.get(String(mall._id)) ?? 0;
  const batches = campaignBatches(docs, campaigns);
  const campaignDocs = campaigns.map((c) => campaignDocument(c, docs));
  const activities = settleActivities(plan.activities, docs);
  const rules = automationRules(docs, templates, now);
  // The tags members carry, as HQ created them (the members page and segment builder list these).
  const tags: MemberTagDoc[] = MEMBER_TAGS.map((name, i) => ({ _id: random.objectId(new Date(setupAt.getTime() + i * 60_000)), name, createdBy: String(hqMarketing._id), createdAt: new Date(setupAt.getTime() + i * 60_000) }));
  const hqAudit = setupAudit(random, { admin: hqAdmin, marketing: hqMarketing }, { templates: allTemplates, campaigns: campaignDocs, rules, tags, segments }, setupAt);
  return { docs, templates: allTemplates, mall, mallIssued, batches, campaigns: campaignDocs, activities, rules, hqAudit, tags, segments };
}

/** Inserts a drawn brand in bulk (the mall template's counts move by the coupons exchanged). */
export async function writeDemoBrand(services: Services, drawn: DrawnBrand): Promise<void> {
  const { models } = services;
  const { docs, templates: allTemplates, mall, mallIssued, batches, campaigns: campaignDocs, activities, rules, hqAudit, tags, segments } = drawn;
  await insertAll(models.memberTags.collection, tags);
  await insertAll(models.members.collection, docs.members);
  await insertAll(models.purchases.collection, docs.purchases);
  await insertAll(models.ledger.collection, docs.ledger);
  await insertAll(models.lots.collection, docs.lots);
  await insertAll(models.couponTemplates.collection, allTemplates);
  await models.couponTemplates.updateOne({ _id: mall._id }, { $inc: { issuedCount: mallIssued, remaining: -mallIssued } });
  await insertAll(models.coupons.collection, docs.coupons);
  await insertAll(models.redemptions.collection, docs.redemptions);
  await insertAll(models.automationOccurrences.collection, docs.occurrences);
  await insertAll(models.tierReviews.collection, docs.tierReviews);
  await insertAll(models.activities.collection, activities);
  await insertAll(models.signups.collection, docs.signups);
  await insertAll(models.savedSegments.collection, segments);
  await insertAll(models.campaigns.collection, campaignDocs);
  await insertAll(couponIssueBatchModel(models.coupons.db).collection, batches);
  await insertAll(models.campaignAudience.collection, docs.audience);
  for (const rule of rules) await models.automationRules.replaceOne({ _id: rule._id }, rule, { upsert: true });
  await seedDemoTheme(services);
  await insertAll(models.audit.collection, [...hqAudit, ...docs.audit]);
}

/** `days` days from `now`'s China day, at `hour` (China time). */
function chinaDayAt(now: Date, days: number, hour: number): Date {
  const chinaMidnight = Math.floor((now.getTime() + 8 * HOUR_MS) / DAY_MS) * DAY_MS - 8 * HOUR_MS;
  return new Date(chinaMidnight + days * DAY_MS + hour * HOUR_MS);
}

async function insertAll(collection: { insertMany(docs: any[], options: { ordered: boolean }): Promise<unknown> }, docs: readonly object[]): Promise<void> {
  for (let i = 0; i < docs.length; i += INSERT_CHUNK) await collection.insertMany(docs.slice(i, i + INSERT_CHUNK) as any[], { ordered: false });
}

/** Past and upcoming activities, each with its sign-ups drawn from the members likeliest to come. */
function planActivities(plan: BrandPlan, sketches: MemberSketch[]): PlannedActivity[] {
  const random = plan.random.fork('activities');
  const { now } = plan;
  const specs = [
    ...PAST_ACTIVITIES.map((a) => ({ ...a, startAt: new Date(now.getTime() - a.daysAgo * DAY_MS) })),
    ...UPCOMING_ACTIVITIES.map((a) => ({ ...a, startAt: new Date(now.getTime() + a.daysAhead * DAY_MS) })),
  ];
  return specs.map((spec) => {
    // Evenings at 19:00 China time on the chosen day.
    const startAt = chinaDayAt(spec.startAt, 0, 19);
    const createdAt = new Date(startAt.getTime() - 21 * DAY_MS);
    const signupClosesAt = new Date(startAt.getTime() - DAY_MS);
    const doc: ActivityDoc = {
      _id: random.objectId(createdAt),
      title: spec.title,
      description: spec.description,
      coverImageUrl: null,
      storeId: spec.storeId,
      startAt,
      endAt: new Date(startAt.getTime() + 2 * HOUR_MS),
      signupClosesAt,
      capacity: spec.capacity,
      tiers: [],
      feeFen: 0,
      attendancePoints: spec.points,
      status: 'published',
      seatsLeft: spec.capacity,
      signupSeq: 0,
      waitlistJoined: 0,
      waitlistLeft: 0,
      createdAt,
      updatedAt: new Date(createdAt.getTime() + HOUR_MS),
      publishedAt: new Date(createdAt.getTime() + HOUR_MS),
      cancelledAt: null,
    };
    const past = startAt < now;
    const signupsUntil = Math.min(signupClosesAt.getTime(), now.getTime() - HOUR_MS);
    const eligible = sketches.filter((s) => s.visitsPerYear > 0 && s.joinedAt.getTime() < signupsUntil - DAY_MS && (!s.lapsesAt || s.lapsesAt > startAt));
    const weight = (s: MemberSketch) => (s.homeStoreId === spec.storeId ? 6 : 0.2) * (spec.personas.includes(s.persona.code) ? 3 : 1) * Math.sqrt(1 + s.visitsPerYear);
    const wanted = Math.round(spec.capacity * (past ? 0.7 + random.next() * 0.3 : 0.45 + random.next() * 0.4));
    const signups = new Map<number, { at: Date; attended: boolean; cancelled: boolean }>();
    let live = 0;
    while (live < wanted && signups.size < eligible.length) {
      const sketch = random.weighted(eligible, (s) => (signups.has(s.index) ? 0 : weight(s)));
      if (signups.has(sketch.index)) break;
      const from = Math.max(createdAt.getTime() + 2 * HOUR_MS, sketch.joinedAt.getTime() + HOUR_MS);
      const at = new Date(from + random.next() * Math.max(60_000, signupsUntil - from));
      const cancelled = random.chance(0.06);
      if (!cancelled) live++;
      signups.set(sketch.index, { at, attended: past && random.chance(0.82), cancelled });
    }
    return { doc, signups };
  });
}

/** Sign-ups numbered in arrival order, and the activity's seat count (seatsLeft = capacity − live sign-ups). */
function settleActivities(activities: PlannedActivity[], docs: BrandDocs): ActivityDoc[] {
  return activities.map(({ doc }) => {
    const mine = docs.signups.filter((s) => s.activityId.equals(doc._id)).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    mine.forEach((signup, i) => (signup.seq = i + 1));
    const live = mine.filter((s) => s.live).length;
    return { ...doc, signupSeq: mine.length, seatsLeft: doc.capacity - live };
  });
}

/** The push's issue batches (PUSH_BATCH_SIZE members of the audience each, in `_id` order), settled. */
function campaignBatches(docs: BrandDocs, campaigns: PlannedCampaign[]): CouponIssueBatchDoc[] {
  const batches: CouponIssueBatchDoc[] = [];
  for (const campaign of campaigns) {
    const audience = docs.audience.filter((a) => a.campaignId.equals(campaign.id)).sort((a, b) => a.memberId.toHexString().localeCompare(b.memberId.toHexString()));
    const coupons = new Map(docs.coupons.filter((c) => c.channel === 'campaign' && c.channelRef === String(campaign.id)).map((c) => [c.memberId.toHexString(), c]));
    let startsAfter: Types.ObjectId | null = null;
    for (let i = 0; i < audience.length; i += 1_000) {
      const chunk = audience.slice(i, i + 1_000);
      const held = chunk.map((a) => coupons.get(a.memberId.toHexString())).filter((c) => c !== undefined);
      const batchKey = startsAfter ? String(startsAfter) : 'start';
      startsAfter = chunk[chunk.length - 1]!.memberId;
      if (held.length === 0) continue;
      const id = `${String(campaign.template._id)}:campaign:${String(campaign.id)}:${batchKey}`;
      for (const coupon of held) coupon.issueBatchId = id;
      const targeted = chunk.filter((a) => !a.holdout);
      batches.push({
        _id: id,
        templateId: campaign.template._id,
        channel: 'campaign',
        channelRef: String(campaign.id),
        batchKey,
        taken: held.length,
        firstMemberId: targeted[0]!.memberId,
        lastMemberId: targeted[targeted.length - 1]!.memberId,
        status: 'settled',
        createdAt: campaign.launchedAt,
        updatedAt: new Date(campaign.launchedAt.getTime() + 60_000),
      });
    }
    // Coupons the demo issued outside a batch cannot exist: every campaign coupon belongs to one.
    for (const coupon of coupons.values()) if (coupon.issueBatchId === 'pending') throw new Error('a demo campaign coupon has no batch');
  }
  return batches;
}

function campaignDocument(campaign: PlannedCampaign, docs: BrandDocs): CampaignDoc {
  const audience = docs.audience.filter((a) => a.campaignId.equals(campaign.id));
  const coupons = docs.coupons.filter((c) => c.channel === 'campaign' && c.channelRef === String(campaign.id));
  const byMember = new Map(audience.map((a) => [a.memberId.toHexString(), a]));
  const issuedBy = { tier: {} as Record<string, number>, homeStore: {} as Record<string, number> };
  for (const coupon of coupons) {
    const member = byMember.get(coupon.memberId.toHexString())!;
    issuedBy.tier[pathSafe(member.tier)] = (issuedBy.tier[pathSafe(member.tier)] ?? 0) + 1;
    const store = pathSafe(member.homeStoreId ?? 'none');
    issuedBy.homeStore[store] = (issuedBy.homeStore[store] ?? 0) + 1;
  }
  const last = audience.map((a) => a.memberId).sort((a, b) => a.toHexString().localeCompare(b.toHexString())).at(-1) ?? null;
  const holdout = audience.filter((a) => a.holdout).length;
  return {
    _id: campaign.id,
    name: campaign.name,
    templateId: campaign.template._id,
    segment: campaign.segment,
    message: null,
    status: 'completed',
    progress: { targeted: audience.length, holdout, issued: coupons.length, notified: 0, failed: 0 },
    holdoutShare: campaign.holdoutShare,
    holdoutSeed: campaign.holdoutSeed,
    source: campaign.source,
    launchAt: null,
    scheduledBy: null,
    // The results window ends when the campaign's coupons expire (set at launch).
    windowEndsAt: campaign.template.validUntil ?? null,
    processed: audience.length,
    issuedBy,
    lastTargetId: last,
    resumeAfter: last,
    leaseOwner: null,
    leaseUntil: null,
    failureReason: null,
    createdAt: campaign.createdAt,
    launchedAt: campaign.launchedAt,
    completedAt: campaign.completedAt,
  };
}

/** All five rules on, with their coupons, and the counts of what they have sent. */
function automationRules(docs: BrandDocs, templates: BrandPlan['templates'], now: Date): AutomationRuleDoc[] {
  const templateOf: Record<AutomationRuleDoc['_id'], Types.ObjectId | null> = {
    welcome: templates.welcome._id,
    birthday: templates.birthday._id,
    win_back: templates.winBack._id,
    tier_upgrade: templates.tierUpgrade._id,
    points_expiry: null,
  };
  return (Object.keys(AUTOMATION_RULES) as Array<AutomationRuleDoc['_id']>).map((kind) => {
    const fired = docs.occurrences.filter((o) => o.rule === kind).length;
    return {
      _id: kind,
      enabled: true,
      templateId: templateOf[kind],
      message: AUTOMATION_RULES[kind].message,
      params: { ...AUTOMATION_RULES[kind].params },
      sentCount: fired,
      couponsIssued: fired,
      messagesSent: 0,
      lastRunAt: new Date(now.getTime() - 20 * 60_000),
      updatedAt: new Date(now.getTime() - 600 * DAY_MS),
    };
  });
}

type HqActor = { _id: Types.ObjectId; hqRole?: string | null };

/** HQ's setup as the audit log shows it: templates created, rules switched on, the member day, the campaigns. */
function setupAudit(
  random: Random,
  hq: { admin: HqActor; marketing: HqActor },
  { templates, campaigns, rules, tags, segments }: { templates: CouponTemplateDoc[]; campaigns: CampaignDoc[]; rules: AutomationRuleDoc[]; tags: MemberTagDoc[]; segments: SavedSegmentDoc[] },
  setupAt: Date,
) {
  const entry = (actor: HqActor, at: Date, action: string, targetType: string, targetId: string, before: unknown, after: unknown) => ({
    _id: random.objectId(at),
    actorType: 'admin' as const,
    actorId: String(actor._id),
    role: 'hq',
    hqRole: actor.hqRole ?? null,
    storeId: null,
    action,
    targetType,
    targetId,
    memberId: null,
    before,
    after,
    requestId: random.uuid(),
    at,
  });
  const entries = [
    ...templates.map((t) => entry(hq.marketing, t.createdAt, 'coupon_template.create', 'coupon_template', String(t._id), null, { title: t.title, type: t.type, totalQuantity: t.totalQuantity })),
    ...rules.map((r, i) => entry(hq.admin, new Date(setupAt.getTime() + (i + 1) * 60_000), 'automation_rule.update', 'automation_rule', r._id, { enabled: false }, { enabled: true, templateId: r.templateId ? String(r.templateId) : null })),
    entry(hq.admin, new Date(setupAt.getTime() + 10 * 60_000), 'earn_rules.update', 'settings', 'earnRules', { campaigns: [] }, { campaigns: [MEMBER_DAY] }),
    ...tags.map((t) => entry(hq.marketing, t.createdAt, 'member_tag.create', 'member_tag', String(t._id), null, { name: t.name })),
    ...segments.map((g) => entry(hq.marketing, g.createdAt, 'segment.create', 'segment', String(g._id), null, { name: g.name, segment: g.segment })),
  ];
  for (const c of campaigns) {
    entries.push(entry(hq.marketing, c.createdAt, 'campaign.create', 'campaign', String(c._id), null, { name: c.name, segment: c.segment }));
    entries.push(entry(hq.marketing, c.launchedAt!, 'campaign.launch', 'campaign', String(c._id), { status: 'draft' }, { status: 'running', audience: c.progress.targeted, holdoutShare: c.holdoutShare }));
  }
  return entries;
}
