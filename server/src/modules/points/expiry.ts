import type { Types } from 'mongoose';
import type { PointsLedger } from './ledger';
import type { expiryWarningModel, lotModel } from './model';

// The two expiry jobs' work. Expiring a lot is PointsLedger.expireLot (one transaction per lot, keyed by
// the lot, so a re-run books nothing twice); the warnings only read lots and upsert one record per member
// per expiry date.

interface Deps {
  ledger: PointsLedger;
  lots: ReturnType<typeof lotModel>;
  warnings: ReturnType<typeof expiryWarningModel>;
  now: () => Date;
}

const DAY_MS = 24 * 3600_000;

export class PointsExpiry {
  constructor(private readonly deps: Deps) {}

  /**
   * Expires every due lot, a batch at a time. A lot that fails is skipped for the rest of the run (so one
   * bad lot cannot stall the others) and the run then fails, naming it, so the scheduler reports it.
   */
  async expireDue(options: { batchSize?: number; touch?: () => Promise<void> } = {}): Promise<number> {
    const batchSize = options.batchSize ?? 200;
    const failed = new Map<string, unknown>();
    let processed = 0;
    for (;;) {
      const due = (await this.deps.ledger.dueLotIds(batchSize + failed.size)).filter((id) => !failed.has(String(id)));
      if (due.length === 0) break;
      for (const lotId of due) {
        try {
          if (await this.deps.ledger.expireLot(lotId)) processed++;
        } catch (err) {
          failed.set(String(lotId), err);
        }
      }
      await options.touch?.();
    }
    if (failed.size > 0) {
      const [lotId, err] = failed.entries().next().value as [string, unknown];
      throw new Error(`${failed.size} due lot(s) could not be expired, e.g. ${lotId}: ${err instanceof Error ? err.message : String(err)}`);
    }
    return processed;
  }

  /**
   * Records what expires within `days` days: one record per member per expiry date, its amount refreshed
   * on each run while the points are still there. The campaigns module sends the notice and sets notifiedAt.
   */
  async recordWarnings(days = 30): Promise<number> {
    const { lots, warnings, now } = this.deps;
    const at = now();
    const due = await lots.aggregate<{ _id: { memberId: Types.ObjectId; expiresAt: Date }; amount: number }>([
      { $match: { expiredAt: null, remaining: { $gt: 0 }, expiresAt: { $gt: at, $lte: new Date(at.getTime() + days * DAY_MS) } } },
      { $group: { _id: { memberId: '$memberId', expiresAt: '$expiresAt' }, amount: { $sum: '$remaining' } } },
    ]);
    for (let i = 0; i < due.length; i += 500) {
      await warnings.bulkWrite(
        due.slice(i, i + 500).map(({ _id, amount }) => ({
          updateOne: {
            filter: { memberId: _id.memberId, expiresAt: _id.expiresAt },
            update: { $set: { amount, updatedAt: at }, $setOnInsert: { createdAt: at, notifiedAt: null } },
            upsert: true,
          },
        })),
        { ordered: false },
      );
    }
    return due.length;
  }
}
