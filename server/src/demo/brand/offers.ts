import { DAY_MS } from '@membercard/shared';
import type { Logger } from 'pino';
import { Types } from 'mongoose';
import type { Actor } from '../../lib/requestContext';
import { inTransaction } from '../../lib/transactions';
import { CouponIssuer } from '../../modules/coupons/issuer';
import type { CouponDoc, CouponTemplateDoc } from '../../modules/coupons/model';
import type { MemberDoc } from '../../modules/members/model';
import type { OfferAssignmentDoc, OfferPoolDoc, OfferRunDoc } from '../../modules/offers/model';
import { OfferRunner } from '../../modules/offers/runner';
import { OffersService } from '../../modules/offers/service';
import type { Services } from '../../services';
import { PRODUCTS } from './catalog';
import { Random } from './random';

// The demo brand's personalised offers (issue 22): an offer pool over the grocer's categories and 满减 sizes, and
// one run three weeks ago, made by the real runner and issuer (their clock set to that day) over the seeded
// members (6 category and 2 threshold offers each), with a 20% holdout. Then, as the weeks since would have gone: treated members who came anyway used
// the offers their baskets fit (its category and minimum) at those visits (real redemptions through
// redeemWith, dated at the visit), and a few who would not have come came for their best offer (a real counter
// booking with its redemption, today). So the run's results show a redemption rate and a lift over the holdout
// that can sit beside the brand's broadcast campaigns of the same period.

const RUN_DAYS_AGO = 21;
/** Chance that a member who visits anyway uses a fitting offer (their best-matched one; later ones less often). */
const REDEEM_WHEN_FITS = 0.8;
/** Chance that a treated member who would not have come comes for their best offer. */
const EXTRA_VISIT = 0.15;

const CATEGORY_OFFERS: Array<{ category: string; title: string; minSpendFen: number; amountOffFen: number }> = [
  { category: 'COFFEE_TEA', title: '咖啡茶饮 满50减8', minSpendFen: 5_000, amountOffFen: 800 },
  { category: 'BAKERY', title: '烘焙面包 满40减6', minSpendFen: 4_000, amountOffFen: 600 },
  { category: 'DAIRY', title: '乳品 满60减10', minSpendFen: 6_000, amountOffFen: 1_000 },
  { category: 'FRUIT', title: '新鲜水果 满80减12', minSpendFen: 8_000, amountOffFen: 1_200 },
  { category: 'VEGETABLES', title: '新鲜蔬菜 满30减5', minSpendFen: 3_000, amountOffFen: 500 },
  { category: 'MEAT_POULTRY', title: '肉禽 满120减20', minSpendFen: 12_000, amountOffFen: 2_000 },
  { category: 'SEAFOOD', title: '水产海鲜 满150减25', minSpendFen: 15_000, amountOffFen: 2_500 },
  { category: 'RICE_FLOUR_OIL', title: '米面粮油 满100减15', minSpendFen: 10_000, amountOffFen: 1_500 },
  { category: 'SNACKS', title: '休闲零食 满60减10', minSpendFen: 6_000, amountOffFen: 1_000 },
  { category: 'WINE', title: '葡萄酒 满300减50', minSpendFen: 30_000, amountOffFen: 5_000 },
  { category: 'INFANT_FORMULA', title: '婴幼儿奶粉 满300减40', minSpendFen: 30_000, amountOffFen: 4_000 },
  { category: 'DIAPERS', title: '纸尿裤 满150减20', minSpendFen: 15_000, amountOffFen: 2_000 },
  { category: 'PET_FOOD', title: '宠物食品 满100减15', minSpendFen: 10_000, amountOffFen: 1_500 },
  { category: 'READY_MEALS', title: '熟食便当 满40减6', minSpendFen: 4_000, amountOffFen: 600 },
];
const THRESHOLD_OFFERS = [
  { minSpendFen: 8_000, amountOffFen: 1_000 },
  { minSpendFen: 12_000, amountOffFen: 1_500 },
  { minSpendFen: 18_000, amountOffFen: 2_500 },
  { minSpendFen: 30_000, amountOffFen: 4_500 },
  { minSpendFen: 50_000, amountOffFen: 8_000 },
];

const OFFERS_MARKER = 'demo-offers-v1';

/**
 * Once per data dir, on the demo brand (started by `npm start`'s demo mode after the brand seed; kept out of the
 * brand's own draw, which is compared with what it wrote).
 */
export async function seedDemoOffersOnce(services: Services, logger: Logger): Promise<void> {
  const markers = services.models.settings.db.collection<{ _id: string; at: Date }>('seed_markers');
  if (!(await markers.findOne({ _id: 'demo-brand-v1' }))) return;
  try {
    await markers.insertOne({ _id: OFFERS_MARKER, at: services.clock.now() });
  } catch {
    return; // seeded before (or by another instance now)
  }
  await seedDemoOffers(services, logger);
}

export async function seedDemoOffers(services: Services, logger: Logger): Promise<void> {
  const { models, clock } = services;
  const started = Date.now();
  const now = clock.now();
  const runAt = new Date(now.getTime() - RUN_DAYS_AGO * DAY_MS);
  const setupAt = new Date(runAt.getTime() - 3 * DAY_MS);

  // ---- the pool ----
  const template = (title: string, minSpendFen: number, amountOffFen: number): CouponTemplateDoc => ({
    _id: new Types.ObjectId(), title, type: 'cash', minSpendFen, amountOffFen, percentOff: null, maxOffFen: null, giftName: null, storeIds: [], tiers: [],
    validFrom: null, validUntil: null, validDays: 30, totalQuantity: 50_000, perMemberLimit: 3, pointsCost: null, inCouponCentre: false,
    status: 'active', issuedCount: 0, remaining: 50_000, createdAt: setupAt, updatedAt: setupAt,
  });
  const pool: OfferPoolDoc[] = [];
  const templates: CouponTemplateDoc[] = [];
  for (const offer of CATEGORY_OFFERS) {
    const t = template(offer.title, offer.minSpendFen, offer.amountOffFen);
    templates.push(t);
    pool.push({ _id: t._id, kind: 'category', categories: [offer.category], basketFromFen: null, basketToFen: null, active: true, createdAt: setupAt, updatedAt: setupAt });
  }
  for (const offer of THRESHOLD_OFFERS) {
    const t = template(`全场 满${offer.minSpendFen / 100}减${offer.amountOffFen / 100}`, offer.minSpendFen, offer.amountOffFen);
    templates.push(t);
    pool.push({ _id: t._id, kind: 'threshold', categories: [], basketFromFen: null, basketToFen: null, active: true, createdAt: setupAt, updatedAt: setupAt });
  }
  await models.couponTemplates.collection.insertMany(templates);
  await models.offerPool.collection.insertMany(pool);

  // ---- the run, three weeks ago, by the real runner and issuer on that day's clock ----
  const then = () => runAt;
  const issuer = new CouponIssuer({ connection: models.members.db, templates: models.couponTemplates, coupons: models.coupons, members: models.members, now: then });
  const runner = new OfferRunner({
    runs: models.offerRuns, assignments: models.offerAssignments, pool: models.offerPool, templates: models.couponTemplates, members: models.members,
    purchases: models.purchases, coupons: models.coupons, redemptions: models.redemptions, categories: models.categories, issuer, now: then,
  });
  const offers = new OffersService({
    pool: models.offerPool, runs: models.offerRuns, assignments: models.offerAssignments, templates: models.couponTemplates, members: models.members,
    categories: models.categories, purchases: models.purchases, redemptions: models.redemptions, campaigns: models.campaigns,
    campaignResults: (id) => services.campaigns.results(id), settings: models.settings, runner, audit: services.audit, now: then,
  });
  const run = await offers.launch(null, 'demo-seed', { settings: { windowDays: 28, holdoutShare: 0.2, categoryOffers: 6, thresholdOffers: 2 } });
  for (let i = 0; i < 600; i++) {
    await runner.runDue();
    const doc = await models.offerRuns.findById(run.id, { status: 1 }).lean<Pick<OfferRunDoc, 'status'>>();
    if (doc?.status !== 'running') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await models.offerRuns.updateOne({ _id: new Types.ObjectId(run.id), status: 'completed' }, { $set: { finishedAt: new Date(runAt.getTime() + 4 * 60_000) } });

  // ---- what the treated members did with their offers ----
  const random = new Random(`membercard-demo-offers:${run.id.slice(0, 8)}`);
  const clerks = new Map(
    (await models.staff.find({ role: 'clerk', active: true }, { storeId: 1 }).lean<Array<{ _id: Types.ObjectId; storeId: string }>>()).map((s) => [s.storeId, String(s._id)]),
  );
  const clerkOf = (storeId: string): Extract<Actor, { type: 'staff' }> => ({ type: 'staff', staffId: clerks.get(storeId) ?? clerks.get('SH01') ?? 'demo', role: 'clerk', storeId, sessionId: 'demo-seed' });
  const plans = await models.offerAssignments.find({ runId: new Types.ObjectId(run.id), holdout: false }).lean<OfferAssignmentDoc[]>();
  let redeemed = 0;
  let extraVisits = 0;
  for (let from = 0; from < plans.length; from += 500) {
    const slice = plans.slice(from, from + 500);
    const visits = await models.purchases
      .find({ memberId: { $in: slice.map((p) => p.memberId) }, status: 'booked', createdAt: { $gt: runAt } }, { memberId: 1, storeId: 1, orderNo: 1, amountFen: 1, lines: 1, createdAt: 1 })
      .sort({ createdAt: 1 })
      .lean<Array<{ memberId: Types.ObjectId; storeId: string; orderNo: string; amountFen: number; lines: Array<{ category: string }>; createdAt: Date }>>();
    const visitsOf = new Map<string, typeof visits>();
    for (const v of visits) visitsOf.set(String(v.memberId), [...(visitsOf.get(String(v.memberId)) ?? []), v]);
    for (const [n, plan] of slice.entries()) {
      const picks = plan.picks.filter((p) => p.couponId);
      if (picks.length === 0) continue;
      const coupons = new Map((await models.coupons.find({ _id: { $in: picks.map((p) => p.couponId) }, status: 'issued' }).lean<CouponDoc[]>()).map((c) => [String(c._id), c]));
      const mine = visitsOf.get(String(plan.memberId)) ?? [];
      if (mine.length > 0) {
        // A member who came anyway uses an offer at the till when the basket fits it (its category, its minimum),
        // the better-matched offers more often.
        const used = new Set<string>();
        for (const [i, pick] of picks.entries()) {
          const coupon = coupons.get(String(pick.couponId));
          if (!coupon || !random.chance(REDEEM_WHEN_FITS / (1 + i * 0.35))) continue;
          const visit = mine.find((v) => !used.has(`${v.orderNo}:${String(coupon.templateId)}`) && v.amountFen >= (coupon.minSpendFen ?? 0) && (!pick.category || v.lines.some((l) => l.category === pick.category)));
          if (!visit) continue;
          used.add(`${visit.orderNo}:${String(coupon.templateId)}`);
          const actor = clerkOf(visit.storeId);
          await inTransaction(models.members.db, undefined, (session) =>
            services.redemptions.redeemWith(session, { actor, requestId: 'demo-seed', coupon, orderNo: visit.orderNo, orderAmountFen: visit.amountFen, at: visit.createdAt }),
          );
          redeemed += 1;
        }
      } else if (random.chance(EXTRA_VISIT)) {
        // A member who would not have come came for their best offer: a real counter booking, today.
        const pick = picks[0]!;
        const coupon = coupons.get(String(pick.couponId));
        const member = await models.members.findById(plan.memberId).lean<MemberDoc>();
        if (!coupon || !member || member.status !== 'active') continue;
        const products = PRODUCTS.filter((p) => p.category === pick.category);
        const product = products.length > 0 ? random.pick(products) : random.pick(PRODUCTS);
        const qty = Math.max(1, Math.ceil(((coupon.minSpendFen ?? 0) + random.int(500, 3_000)) / product.priceFen));
        const lines = [{ sku: product.sku, name: product.name, category: product.category, qty, amountFen: qty * product.priceFen }];
        // The rest of a usual basket around the offer's line.
        let amountFen = lines[0]!.amountFen;
        while (amountFen < (plan.typicalBasketFen ?? 0)) {
          const extra = random.pick(PRODUCTS);
          lines.push({ sku: extra.sku, name: extra.name, category: extra.category, qty: 1, amountFen: extra.priceFen });
          amountFen += extra.priceFen;
        }
        const actor = clerkOf(member.homeStoreId && clerks.has(member.homeStoreId) ? member.homeStoreId : 'SH01');
        const orderNo = `OFR${run.id.slice(-6)}${String(from + n).padStart(5, '0')}`;
        await services.purchases.bookInTransaction(undefined, {
          actor, requestId: 'demo-seed', orderNo, amountFen, lines, member,
          alongside: async (session) => {
            await services.redemptions.redeemWith(session, { actor, requestId: 'demo-seed', coupon, orderNo, orderAmountFen: amountFen, at: clock.now() });
          },
        });
        redeemed += 1;
        extraVisits += 1;
      }
    }
  }
  // The head of the curve as the daily job keeps it, so the console and the counter show it from the start.
  await services.topMembers.refresh();
  logger.info({ members: plans.length, redeemed, extraVisits, ms: Date.now() - started }, 'demo offers seeded');
}
