import type { Page, StoredValueEntry, StoredValueLiability } from '@membercard/shared';
import type { Types } from 'mongoose';
import { pageBy } from '../../lib/cursor';
import type { storeModel } from '../staff/model';
import type { StoredValueEntryDoc, storedValueAccountModel, storedValueEntryModel } from './model';

// What people read of the ledger: a member's statement (shopper and HQ) and HQ's liability per store.

interface Deps {
  accounts: ReturnType<typeof storedValueAccountModel>;
  entries: ReturnType<typeof storedValueEntryModel>;
  stores: ReturnType<typeof storeModel>;
}

export class StoredValueStatements {
  constructor(private readonly deps: Deps) {}

  /** One page of a member's entries, newest first, each with its store's name. */
  async page(memberId: Types.ObjectId, limit: number, cursor?: string): Promise<Page<StoredValueEntry>> {
    const page = await pageBy(this.deps.entries, { memberId }, 'createdAt', limit, cursor, (doc: StoredValueEntryDoc) => doc);
    const names = await this.storeNames(page.items.map((e) => e.storeId));
    return { items: page.items.map((doc) => entryView(doc, names)), nextCursor: page.nextCursor };
  }

  /**
   * Per store: the net stored value its entries hold (top-ups taken there minus what was spent there and
   * refunded from them), the principal topped up, bonus given with those top-ups and bonus spent there (the
   * bonus's cost to the brand). The totals are the brand's outstanding liability.
   */
  async liability(): Promise<StoredValueLiability> {
    const rows = await this.deps.entries.aggregate<{
      _id: string | null;
      principalFen: number;
      bonusFen: number;
      toppedUpFen: number;
      bonusGivenFen: number;
      bonusSpentFen: number;
    }>([
      {
        $group: {
          _id: '$storeId',
          principalFen: { $sum: '$principalDelta' },
          bonusFen: { $sum: '$bonusDelta' },
          toppedUpFen: { $sum: { $cond: [{ $eq: ['$kind', 'topup'] }, '$principalDelta', 0] } },
          bonusGivenFen: { $sum: { $cond: [{ $eq: ['$kind', 'topup_bonus'] }, '$bonusDelta', 0] } },
          bonusSpentFen: { $sum: { $cond: [{ $in: ['$kind', ['charge', 'charge_refund']] }, { $subtract: [0, '$bonusDelta'] }, 0] } },
        },
      },
      { $sort: { _id: 1 } },
    ]);
    const names = await this.storeNames(rows.map((r) => r._id));
    const stores = rows.map((r) => ({
      storeId: r._id,
      storeName: r._id ? (names.get(r._id) ?? r._id) : null,
      principalFen: r.principalFen,
      bonusFen: r.bonusFen,
      toppedUpFen: r.toppedUpFen,
      bonusGivenFen: r.bonusGivenFen,
      bonusSpentFen: r.bonusSpentFen,
    }));
    const sum = (field: 'principalFen' | 'bonusFen' | 'toppedUpFen' | 'bonusGivenFen' | 'bonusSpentFen') => stores.reduce((s, r) => s + r[field], 0);
    const members = await this.deps.accounts.countDocuments({ $or: [{ principalFen: { $gt: 0 } }, { bonusFen: { $gt: 0 } }] });
    return {
      stores,
      total: { principalFen: sum('principalFen'), bonusFen: sum('bonusFen'), toppedUpFen: sum('toppedUpFen'), bonusGivenFen: sum('bonusGivenFen'), bonusSpentFen: sum('bonusSpentFen') },
      members,
    };
  }

  private async storeNames(ids: Array<string | null>): Promise<Map<string, string>> {
    const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
    if (wanted.length === 0) return new Map();
    const stores = await this.deps.stores.find({ _id: { $in: wanted } }, { name: 1 }).lean<Array<{ _id: string; name: string }>>();
    return new Map(stores.map((s) => [s._id, s.name]));
  }
}

function entryView(doc: StoredValueEntryDoc, names: Map<string, string>): StoredValueEntry {
  return {
    id: String(doc._id),
    kind: doc.kind,
    principalDelta: doc.principalDelta,
    bonusDelta: doc.bonusDelta,
    principalAfter: doc.principalAfter,
    bonusAfter: doc.bonusAfter,
    storeId: doc.storeId,
    storeName: doc.storeId ? (names.get(doc.storeId) ?? doc.storeId) : null,
    reason: doc.reason,
    ref: doc.ref ? { type: doc.ref.type, id: doc.ref.id } : null,
    createdAt: doc.createdAt.toISOString(),
  };
}
