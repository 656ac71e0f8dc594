import type { ClientSession, Types } from 'mongoose';
import type { memberModel } from '../members/model';
import type { CategorySpend } from './model';

// The per-member category summary (members.categoryStats), written in the purchase's or return's own
// transaction. Each write is one pipeline update of the member document whatever the number of lines:
// existing elements are changed in place and the new categories appended, so there is never a read first
// and a parallel purchase of the same member is the transaction's write conflict, retried like the others.

/** A purchase's lines summed per category, in the order they first appear. */
export function spendOf(lines: ReadonlyArray<{ category: string; amountFen: number }>): CategorySpend[] {
  const sums = new Map<string, number>();
  for (const line of lines) sums.set(line.category, (sums.get(line.category) ?? 0) + line.amountFen);
  return [...sums].map(([category, amountFen]) => ({ category, amountFen }));
}

/** A pipeline-update expression: the purchase's `categorySpend` with `part` taken off, category by category. */
export function categorySpendLess(part: CategorySpend[]): Record<string, unknown> {
  return {
    $map: {
      input: { $ifNull: ['$categorySpend', []] },
      as: 'c',
      in: {
        $switch: {
          branches: part.map(({ category, amountFen }) => ({ case: { $eq: ['$$c.category', { $literal: category }] }, then: { category: '$$c.category', amountFen: { $subtract: ['$$c.amountFen', amountFen] } } })),
          default: '$$c',
        },
      },
    },
  };
}

export class CategorySummary {
  constructor(private readonly members: ReturnType<typeof memberModel>) {}

  /** A booked purchase: each category's spend grows, its visits by one, its last-bought time moves to `at`. */
  async addWith(session: ClientSession, memberId: Types.ObjectId, spend: CategorySpend[], at: Date): Promise<void> {
    if (spend.length === 0) return;
    const fresh = spend.map(({ category, amountFen }) => ({ category, lastAt: at, spend12mFen: amountFen, visits: 1 }));
    await this.update(session, memberId, spend, (s, amountFen) => ({
      category: '$$s.category',
      lastAt: { $max: ['$$s.lastAt', at] },
      spend12mFen: { $add: ['$$s.spend12mFen', amountFen] },
      visits: { $add: ['$$s.visits', 1] },
    }), fresh);
  }

  /**
   * Spend leaves the categories: a return of lines, a reversal (`visit`: the purchase no longer counts as a
   * visit either) or a purchase ageing out of the 12 months. Categories the member has no element for are
   * left alone (purchases booked before the summary existed).
   */
  async takeBackWith(session: ClientSession, memberId: Types.ObjectId, spend: CategorySpend[], options: { visit: boolean }): Promise<void> {
    if (spend.length === 0) return;
    await this.update(session, memberId, spend, (s, amountFen) => ({
      category: '$$s.category',
      lastAt: '$$s.lastAt',
      spend12mFen: { $subtract: ['$$s.spend12mFen', amountFen] },
      visits: options.visit ? { $max: [0, { $subtract: ['$$s.visits', 1] }] } : '$$s.visits',
    }), []);
  }

  private async update(
    session: ClientSession,
    memberId: Types.ObjectId,
    spend: CategorySpend[],
    changed: (s: string, amountFen: number) => Record<string, unknown>,
    appended: Array<Record<string, unknown>>,
  ): Promise<void> {
    const old = { $ifNull: ['$categoryStats', []] };
    const mapped = {
      $map: {
        input: old,
        as: 's',
        in: {
          $switch: {
            branches: spend.map(({ category, amountFen }) => ({ case: { $eq: ['$$s.category', { $literal: category }] }, then: changed('$$s', amountFen) })),
            default: '$$s',
          },
        },
      },
    };
    const categoryStats = appended.length
      ? { $concatArrays: [mapped, { $filter: { input: { $literal: appended }, as: 'n', cond: { $not: [{ $in: ['$$n.category', { $map: { input: old, as: 'o', in: '$$o.category' } }] }] } } }] }
      : mapped;
    // The driver, not mongoose: an update pipeline is sent as it is.
    await this.members.collection.updateOne({ _id: memberId }, [{ $set: { categoryStats } }], { session });
  }
}
