import {
  DEFAULT_CATEGORIES,
  ErrorCode,
  LIFE_SITUATIONS,
  type Category,
  type CategoryCreateBody,
  type CategoryPatchBody,
  type MemberCategories,
} from '@membercard/shared';
import { AppError, errors, isDuplicateKeyError } from '../../lib/errors';
import type { Actor } from '../../lib/requestContext';
import type { AuditService } from '../audit/service';
import type { memberModel } from '../members/model';
import type { purchaseModel } from '../purchases/model';
import { memberInScope } from '../points/service';
import type { CategoryDoc, categoryModel } from './model';

// Product categories HQ manages. Purchase lines (the counter's and the POS's) must name an active one:
// checked against a one-second cache of the active codes, so a booking costs no extra round trip (a
// category HQ disables here stops being accepted at once by this instance, by the others within a second).

interface Deps {
  categories: ReturnType<typeof categoryModel>;
  members: ReturnType<typeof memberModel>;
  purchases: ReturnType<typeof purchaseModel>;
  audit: AuditService;
  now: () => Date;
}

const SITUATION_ORDER = Object.keys(LIFE_SITUATIONS);

export class CategoriesService {
  private active: { at: number; codes: Promise<Set<string>> } | null = null;

  constructor(private readonly deps: Deps) {}

  /** First start: the default retail set, once (a programme that has any category keeps what HQ made of it). */
  async seedDefaults(): Promise<number> {
    const { categories, now } = this.deps;
    if ((await categories.estimatedDocumentCount()) > 0) return 0;
    const at = now();
    try {
      const inserted = await categories.insertMany(
        DEFAULT_CATEGORIES.map(({ code, ...rest }) => ({ _id: code, ...rest, status: 'active', createdAt: at, updatedAt: at })),
        { ordered: false },
      );
      return inserted.length;
    } catch (err) {
      // Another instance seeding at the same time: its inserts are the same documents.
      if (isDuplicateKeyError(err) || (err as { writeErrors?: unknown[] }).writeErrors) return 0;
      throw err;
    }
  }

  async list(): Promise<{ items: Category[] }> {
    const docs = await this.deps.categories.find().lean<CategoryDoc[]>();
    docs.sort((a, b) => SITUATION_ORDER.indexOf(a.situation) - SITUATION_ORDER.indexOf(b.situation) || a.createdAt.getTime() - b.createdAt.getTime() || a._id.localeCompare(b._id));
    return { items: docs.map(toWire) };
  }

  async create(actor: Actor, requestId: string, body: CategoryCreateBody): Promise<Category> {
    const at = this.deps.now();
    const doc: CategoryDoc = { _id: body.code, name: body.name, nameEn: body.nameEn, situation: body.situation, status: 'active', createdAt: at, updatedAt: at };
    try {
      await this.deps.categories.create(doc);
    } catch (err) {
      if (isDuplicateKeyError(err)) throw new AppError(ErrorCode.CONFLICT, `A category with the code ${body.code} already exists.`, { field: 'body.code' });
      throw err;
    }
    this.active = null;
    await this.deps.audit.record(actor, requestId, { action: 'category.create', targetType: 'category', targetId: body.code, after: body });
    return toWire(doc);
  }

  /** Rename, regroup, disable or enable; the code stays, so past purchases keep their category. */
  async update(actor: Actor, requestId: string, code: string, patch: CategoryPatchBody): Promise<Category> {
    const before = await this.deps.categories
      .findOneAndUpdate({ _id: code }, { $set: { ...patch, updatedAt: this.deps.now() } }, { returnDocument: 'before' })
      .lean<CategoryDoc>();
    if (!before) throw errors.notFound('No such category.');
    this.active = null;
    const changed = Object.keys(patch) as Array<keyof CategoryPatchBody>;
    await this.deps.audit.record(actor, requestId, {
      action: 'category.update',
      targetType: 'category',
      targetId: code,
      before: Object.fromEntries(changed.map((key) => [key, before[key]])),
      after: patch,
    });
    return toWire({ ...before, ...patch, updatedAt: this.deps.now() });
  }

  /**
   * Removes a category no member has ever bought (a typo HQ just made); one that is in use is disabled
   * instead (409), so purchases and segments keep meaning what they meant. Only a disabled category can go,
   * so no till can book it while it is removed.
   */
  async remove(actor: Actor, requestId: string, code: string): Promise<void> {
    const { categories, members } = this.deps;
    const found = await categories.findById(code).lean<CategoryDoc>();
    if (!found) throw errors.notFound('No such category.');
    if (found.status !== 'disabled') throw new AppError(ErrorCode.CONFLICT, 'Disable the category before deleting it.');
    if (await members.exists({ 'categoryStats.category': code })) {
      throw new AppError(ErrorCode.CONFLICT, 'Members have bought this category: it stays (disabled) so their history and segments keep their meaning.');
    }
    await categories.deleteOne({ _id: code, status: 'disabled' });
    this.active = null;
    await this.deps.audit.record(actor, requestId, { action: 'category.delete', targetType: 'category', targetId: code, before: toWire(found) });
  }

  /** 400 CATEGORY_UNKNOWN naming the first line whose category is not an active one. */
  async checkLines(lines: ReadonlyArray<{ sku: string; category: string }>): Promise<void> {
    if (lines.length === 0) return;
    const active = await this.activeCodes();
    for (const [i, line] of lines.entries()) {
      if (!active.has(line.category)) {
        throw new AppError(ErrorCode.CATEGORY_UNKNOWN, `Line ${i} (${line.sku}): ${JSON.stringify(line.category)} is not an active product category.`, {
          fields: [{ field: `body.lines.${i}.category`, message: 'not an active category code' }],
        });
      }
    }
  }

  private activeCodes(maxAgeMs = 1_000): Promise<Set<string>> {
    const now = Date.now();
    if (!this.active || now - this.active.at > maxAgeMs) {
      const codes = this.deps.categories
        .find({ status: 'active' }, { _id: 1 })
        .lean<Array<{ _id: string }>>()
        .then((docs) => new Set(docs.map((d) => d._id)));
      const entry = { at: now, codes };
      this.active = entry;
      codes.catch(() => {
        if (this.active === entry) this.active = null;
      });
    }
    return this.active.codes;
  }

  /**
   * Every member's categoryStats spend = Σ categorySpend of their purchases still in the 12-month window (the
   * same invariant as spend12mFen; `npm run reconcile` prints each break).
   */
  async reconcile(): Promise<CategorySpendBreak[]> {
    const rows = await this.deps.purchases.aggregate<{ _id: { memberId: unknown; category: string }; total: number }>([
      { $match: { inSpendWindow: true, 'categorySpend.0': { $exists: true } } },
      { $unwind: '$categorySpend' },
      { $group: { _id: { memberId: '$memberId', category: '$categorySpend.category' }, total: { $sum: '$categorySpend.amountFen' } } },
    ]);
    const sums = new Map(rows.map((row) => [`${String(row._id.memberId)}:${row._id.category}`, row.total]));
    const breaks: CategorySpendBreak[] = [];
    const members = this.deps.members.find({ 'categoryStats.0': { $exists: true } }, { categoryStats: 1 }).lean<Array<{ _id: unknown; categoryStats: Array<{ category: string; spend12mFen: number }> }>>().cursor();
    for await (const member of members) {
      for (const stat of member.categoryStats) {
        const key = `${String(member._id)}:${stat.category}`;
        const purchasesSum = sums.get(key) ?? 0;
        sums.delete(key);
        if (stat.spend12mFen !== purchasesSum) breaks.push({ memberId: String(member._id), category: stat.category, spend12mFen: stat.spend12mFen, purchasesSum });
      }
    }
    // Purchases counting a category the member has no element for.
    for (const [key, purchasesSum] of sums) {
      if (purchasesSum !== 0) breaks.push({ memberId: key.split(':')[0]!, category: key.split(':').slice(1).join(':'), spend12mFen: 0, purchasesSum });
    }
    return breaks;
  }

  /** What a member buys, by category (managers: members of their store). */
  async forMember(actor: Actor, memberId: string): Promise<MemberCategories> {
    const member = await memberInScope(this.deps.members, actor, memberId, ['active', 'erased']);
    const stats = member.categoryStats ?? [];
    const known = new Map((await this.deps.categories.find({ _id: { $in: stats.map((s) => s.category) } }).lean<CategoryDoc[]>()).map((c) => [c._id, c]));
    const items = stats
      .map((stat) => {
        const category = known.get(stat.category);
        return {
          category: stat.category,
          name: category?.name ?? stat.category,
          nameEn: category?.nameEn ?? stat.category,
          situation: category?.situation ?? null,
          spend12mFen: Math.max(0, stat.spend12mFen),
          visits: stat.visits,
          lastBoughtAt: stat.lastAt.toISOString(),
        };
      })
      .sort((a, b) => b.spend12mFen - a.spend12mFen || b.lastBoughtAt.localeCompare(a.lastBoughtAt));
    return { items };
  }
}

/** A member whose category spend does not match their purchases. */
export interface CategorySpendBreak {
  memberId: string;
  category: string;
  spend12mFen: number;
  purchasesSum: number;
}

function toWire(doc: CategoryDoc): Category {
  return { code: doc._id, name: doc.name, nameEn: doc.nameEn, situation: doc.situation, status: doc.status, createdAt: doc.createdAt.toISOString(), updatedAt: doc.updatedAt.toISOString() };
}
