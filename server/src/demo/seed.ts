import type { Logger } from 'pino';
import { hashPassword } from '../lib/passwords';
import type { Services } from '../services';
import { seedDemoBrand } from './brand';

// The demo data of the API contract, written once: a second start on the same data dir finds the marker
// and leaves everything (including what the demo user changed) alone. Two sizes: `minimal` (the stores,
// accounts, two coupon templates and two activities below; what tests start from) and `brand` (`npm start`'s
// default: minimal plus a brand in business, see brand/index.ts), chosen with DEMO_SEED.

export type DemoSeedScale = 'minimal' | 'brand';

export const DEMO_STORES = [
  { id: 'SH01', name: '上海静安店', city: '上海' },
  { id: 'BJ01', name: '北京朝阳店', city: '北京' },
];

export const DEMO_ACCOUNTS = [
  { kind: 'hq', username: 'hq', password: 'hq-demo-pass', name: '总部运营', role: 'hq' as const, hqRole: 'admin' as const, storeId: null },
  { kind: 'hq', username: 'hq-marketing', password: 'marketing-demo-pass', name: '总部市场', role: 'hq' as const, hqRole: 'marketing' as const, storeId: null },
  { kind: 'hq', username: 'hq-viewer', password: 'viewer-demo-pass', name: '总部只读', role: 'hq' as const, hqRole: 'viewer' as const, storeId: null },
  { kind: 'staff', username: 'sh01-clerk', password: 'staff-demo-pass', name: '静安店员', role: 'clerk' as const, storeId: 'SH01' },
  { kind: 'staff', username: 'sh01-manager', password: 'staff-demo-pass', name: '静安店长', role: 'manager' as const, storeId: 'SH01' },
  { kind: 'staff', username: 'bj01-clerk', password: 'staff-demo-pass', name: '朝阳店员', role: 'clerk' as const, storeId: 'BJ01' },
];

/** 满100减20 for everyone, and a ¥10 coupon in the points mall for 500 points. */
export const DEMO_COUPON_TEMPLATES = [
  { title: '满100减20', type: 'cash' as const, minSpendFen: 10_000, amountOffFen: 2_000, validDays: 30, totalQuantity: 10_000, perMemberLimit: 5 },
  { title: '10元无门槛券（积分兑换）', type: 'cash' as const, amountOffFen: 1_000, validDays: 30, totalQuantity: 10_000, perMemberLimit: 10, pointsCost: 500 },
];

/** One upcoming free activity and one paid one (paid through the emulated WeChat Pay), both at SH01. */
export const DEMO_ACTIVITIES = [
  { title: '咖啡品鉴会', description: '门店咖啡师带你品鉴三款单品豆。', storeId: 'SH01', startsInHours: 1, capacity: 20, feeFen: 0, attendancePoints: 50 },
  { title: '亲子烘焙课', description: '和孩子一起做曲奇，材料费含在报名费中。', storeId: 'SH01', startsInHours: 240, capacity: 8, feeFen: 9_900, attendancePoints: 100 },
];

const SEED_MARKER = 'demo-seed-v1';
const BRAND_MARKER = 'demo-brand-v1';

/** Seeds the minimal demo once and, with `scale: 'brand'`, the demo brand once on top of it. */
export async function seedDemoData(services: Services, logger: Logger, options: { scale?: DemoSeedScale } = {}): Promise<void> {
  await seedMinimal(services, logger);
  if (options.scale === 'brand') await seedBrandOnce(services, logger);
}

async function seedBrandOnce(services: Services, logger: Logger): Promise<void> {
  const markers = services.models.settings.db.collection<{ _id: string; at: Date; done: boolean }>('seed_markers');
  const marker = await markers.findOne({ _id: BRAND_MARKER });
  if (marker?.done) return;
  if (marker) {
    // Its documents are partly written: drawing them again would collide with them (card numbers are unique).
    logger.warn('the demo brand seed was interrupted on this data dir; start on a fresh MEMBERCARD_DATA_DIR for the full demo');
    return;
  }
  await markers.insertOne({ _id: BRAND_MARKER, at: services.clock.now(), done: false });
  await seedDemoBrand(services, logger);
  await markers.updateOne({ _id: BRAND_MARKER }, { $set: { done: true } });
}

async function seedMinimal(services: Services, logger: Logger): Promise<void> {
  const { models, clock } = services;
  const marker = await models.settings.db.collection('seed_markers').findOne({ _id: SEED_MARKER as never });
  if (marker) return;
  const now = clock.now();
  for (const store of DEMO_STORES) {
    await models.stores.updateOne(
      { _id: store.id },
      { $setOnInsert: { name: store.name, city: store.city, active: true, createdAt: now } },
      { upsert: true },
    );
  }
  for (const account of DEMO_ACCOUNTS) {
    await models.staff.updateOne(
      { username: account.username },
      {
        $setOnInsert: {
          name: account.name,
          role: account.role,
          hqRole: 'hqRole' in account ? account.hqRole : null,
          storeId: account.storeId,
          passwordHash: await hashPassword(account.password),
          active: true,
          createdAt: now,
        },
      },
      { upsert: true },
    );
  }
  await services.settings.update({});
  for (const template of DEMO_COUPON_TEMPLATES) {
    await models.couponTemplates.updateOne(
      { title: template.title },
      { $setOnInsert: { ...template, storeIds: [], tiers: [], status: 'active', issuedCount: 0, remaining: template.totalQuantity, createdAt: now, updatedAt: now } },
      { upsert: true },
    );
  }
  for (const activity of DEMO_ACTIVITIES) {
    // The free one starts within the hour, so a demo sign-up can be checked in now (check-in opens 2 h before
    // the start); sign-up closes a day before, or half-way for one that soon.
    const startAt = new Date(now.getTime() + activity.startsInHours * 3600_000);
    const signupLeadMs = Math.min(24, activity.startsInHours / 2) * 3600_000;
    await models.activities.updateOne(
      { title: activity.title },
      {
        $setOnInsert: {
          title: activity.title, description: activity.description, coverImageUrl: null, storeId: activity.storeId,
          startAt, endAt: new Date(startAt.getTime() + 2 * 3600_000), signupClosesAt: new Date(startAt.getTime() - signupLeadMs),
          capacity: activity.capacity, tiers: [], feeFen: activity.feeFen, attendancePoints: activity.attendancePoints,
          status: 'published', seatsLeft: activity.capacity, signupSeq: 0, waitlistJoined: 0, waitlistLeft: 0, createdAt: now, updatedAt: now, publishedAt: now, cancelledAt: null,
        },
      },
      { upsert: true },
    );
  }
  await models.settings.db.collection('seed_markers').insertOne({ _id: SEED_MARKER as never, at: now });
  logger.info('demo data seeded');
}
