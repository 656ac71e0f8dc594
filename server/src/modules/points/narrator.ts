import type { LedgerDescription } from '@membercard/shared';
import { Types } from 'mongoose';
import type { activityModel, signupModel } from '../activities/model';
import type { couponModel } from '../coupons/model';
import type { purchaseModel } from '../purchases/model';
import type { storeModel } from '../staff/model';
import type { LedgerEntry } from './model';

// Turns a page of ledger entries into the lines of a member's statement: a purchase reads as its store,
// amount and items, an exchange as the coupon's title, a check-in as the activity's. What each entry was
// for is found from its idempotency key (the one link every booking already writes), and a page costs at
// most one find per kind of record it names (purchases, coupons, sign-ups, activities, stores) whatever
// its length: never one read per entry.

interface Deps {
  purchases: ReturnType<typeof purchaseModel>;
  coupons: ReturnType<typeof couponModel>;
  signups: ReturnType<typeof signupModel>;
  activities: ReturnType<typeof activityModel>;
  stores: ReturnType<typeof storeModel>;
}

type PurchaseFound = {
  _id: Types.ObjectId;
  storeId: string;
  orderNo: string;
  amountFen: number;
  lines?: Array<{ name: string; qty: number }>;
  reversal?: { reason?: string } | null;
};

export class LedgerNarrator {
  constructor(private readonly deps: Deps) {}

  /** One description per entry, in order (undefined where there is nothing to add to the reason). */
  async describe(entries: LedgerEntry[]): Promise<Array<LedgerDescription | undefined>> {
    const { purchases, coupons, signups, activities, stores } = this.deps;
    const purchaseKeys: Array<{ storeId: string; orderNo: string }> = [];
    const reversedIds: Types.ObjectId[] = [];
    const exchangeRefs: Array<{ memberId: Types.ObjectId; channelRef: string }> = [];
    const signupIds: Types.ObjectId[] = [];
    for (const entry of entries) {
      const key = entry.idempotencyKey;
      if (entry.source === 'purchase' && entry.storeId && key.startsWith(`purchase:${entry.storeId}:`)) {
        purchaseKeys.push({ storeId: entry.storeId, orderNo: key.slice(`purchase:${entry.storeId}:`.length) });
      } else if (entry.source === 'reversal' && key.startsWith('reversal:') && Types.ObjectId.isValid(key.slice(9))) {
        reversedIds.push(new Types.ObjectId(key.slice(9)));
      } else if (entry.source === 'exchange' && key.startsWith(`exchange:${String(entry.memberId)}:`)) {
        exchangeRefs.push({ memberId: entry.memberId, channelRef: key.slice(`exchange:${String(entry.memberId)}:`.length) });
      } else if (entry.source === 'attendance' && key.startsWith('attendance:') && Types.ObjectId.isValid(key.slice(11))) {
        signupIds.push(new Types.ObjectId(key.slice(11)));
      }
    }

    const projection = { storeId: 1, orderNo: 1, amountFen: 1, 'lines.name': 1, 'lines.qty': 1, 'reversal.reason': 1 };
    const purchaseFilter = [...purchaseKeys, ...(reversedIds.length ? [{ _id: { $in: reversedIds } }] : [])];
    const [foundPurchases, foundCoupons, foundSignups] = await Promise.all([
      purchaseFilter.length ? purchases.find({ $or: purchaseFilter }, projection).lean<PurchaseFound[]>() : [],
      exchangeRefs.length
        ? coupons
            .find({ memberId: exchangeRefs[0]!.memberId, channel: 'mall', channelRef: { $in: exchangeRefs.map((r) => r.channelRef) } }, { channelRef: 1, title: 1 })
            .lean<Array<{ channelRef: string; title: string }>>()
        : [],
      signupIds.length ? signups.find({ _id: { $in: signupIds } }, { activityId: 1 }).lean<Array<{ _id: Types.ObjectId; activityId: Types.ObjectId }>>() : [],
    ]);
    const storeIds = new Set(entries.map((e) => e.storeId).filter((id): id is string => Boolean(id)));
    for (const p of foundPurchases) storeIds.add(p.storeId);
    const [foundActivities, foundStores] = await Promise.all([
      foundSignups.length
        ? activities.find({ _id: { $in: foundSignups.map((s) => s.activityId) } }, { title: 1 }).lean<Array<{ _id: Types.ObjectId; title: string }>>()
        : [],
      storeIds.size ? stores.find({ _id: { $in: [...storeIds] } }, { name: 1 }).lean<Array<{ _id: string; name: string }>>() : [],
    ]);

    const purchaseByOrder = new Map(foundPurchases.map((p) => [`${p.storeId}:${p.orderNo}`, p]));
    const purchaseById = new Map(foundPurchases.map((p) => [String(p._id), p]));
    const couponTitle = new Map(foundCoupons.map((c) => [c.channelRef, c.title]));
    const activityTitle = new Map(foundActivities.map((a) => [String(a._id), a.title]));
    const activityOfSignup = new Map(foundSignups.map((s) => [String(s._id), activityTitle.get(String(s.activityId))]));
    const storeName = new Map(foundStores.map((s) => [s._id, s.name]));

    return entries.map((entry): LedgerDescription | undefined => {
      const store = entry.storeId ? storeName.get(entry.storeId) : undefined;
      const key = entry.idempotencyKey;
      switch (entry.source) {
        case 'purchase': {
          const found = entry.storeId ? purchaseByOrder.get(key.slice('purchase:'.length)) : undefined;
          return compact({
            title: store ? `消费 · ${store}` : '消费积分',
            storeName: store,
            amountFen: found?.amountFen,
            lines: found?.lines?.length ? found.lines.map((l) => ({ name: l.name, qty: l.qty })) : undefined,
          });
        }
        case 'reversal': {
          const found = key.startsWith('reversal:') ? purchaseById.get(key.slice(9)) : undefined;
          const where = found ? storeName.get(found.storeId) : store;
          // A manager's reversal says why in the manager's words; a till return's reason is only its numbers.
          const what = key.startsWith('pos-return:') ? '退货' : '撤销消费';
          return compact({ title: where ? `${what} · ${where}` : what, storeName: where, amountFen: found?.amountFen, note: found?.reversal?.reason || undefined });
        }
        case 'exchange': {
          const title = couponTitle.get(key.slice(`exchange:${String(entry.memberId)}:`.length));
          return { title: title ? `积分兑换「${title}」` : entry.reason };
        }
        case 'attendance': {
          const title = activityOfSignup.get(key.slice(11));
          return compact({ title: title ? `活动签到「${title}」` : entry.reason, storeName: store });
        }
        case 'expiry':
          return { title: '积分过期' };
        case 'adjustment':
          return { title: '积分调整', note: entry.reason };
        default:
          return compact({ title: entry.reason, storeName: store });
      }
    });
  }
}

function compact(description: LedgerDescription): LedgerDescription {
  return Object.fromEntries(Object.entries(description).filter(([, value]) => value !== undefined)) as LedgerDescription;
}
