import mongoose, { Types } from 'mongoose';
import { RateLimits } from '../../../lib/rateLimit';
import { WeChatApiError } from '../../../wechat/errors';
import type { MemberDoc, memberModel } from '../../members/model';
import type { SettingsService } from '../../settings/service';
import type { MemberCardApi } from './api';
import type { CardFace, MemberCardLinkDoc, memberCardLinkModel, memberCardMarkModel } from './model';
import { balancesOf, cardFaceOf, errorInfo, sameFace, type MemberCardService, type StoredValueSource } from './service';

/**
 * Keeps what each member's WeChat card shows (points, tier, the tier's card art, the stored-value balance where
 * the programme has one) equal to the member, in two
 * steps a job runs every minute:
 *
 * 1. `markChanged`: members whose updatedAt is past the mark (index updatedAt, _id) are compared with what
 *    their card shows; a card that differs is marked dirty (every card, when the tier names may have changed).
 *    Stored-value changes are found the same way through their entries (markBalanceChanges). The walk starts OVERLAP_MS before the mark, so a
 *    transaction that commits after a later write was seen is still looked at; seeing a member twice costs a
 *    comparison, not a WeChat call.
 * 2. `sendDue`: dirty cards are sent one card/membercard/updateuser each, at most `updatesPerMinute` across
 *    every instance (one RateLimits window in MongoDB), with the full points total (`bonus`) so a repeated
 *    call cannot count a change twice. WeChat's rate refusals (45009/45011) end the run without counting
 *    against the card; other failures back off (1, 2, 4… minutes, at most 6 h) and after MAX_FAILURES wait
 *    for HQ's retry. A code WeChat no longer knows (the shopper deleted the card) ends the link.
 */

export const OVERLAP_MS = 90_000;
const BATCH = 500;
export const MAX_FAILURES = 8;
const MAX_BACKOFF_MS = 6 * 60 * 60_000;
const RATE_LIMIT = 'wechat-member-card-updateuser';
/** Cards HQ's retry sends while HQ waits. */
const RETRY_NOW = 20;
/** docs/wechat-member-card.md, "Not confirmed" 1: no source gives updateuser's limit; this is our guess, configurable. */
export const DEFAULT_UPDATES_PER_MINUTE = 600;
const MARK_ID = 'members';
const BALANCE_MARK_ID = 'stored-value';
const RATE_REFUSALS = new Set([45009, 45011]);
const CODE_GONE = new Set([40056, 40127]);

export interface MemberCardSyncDeps {
  connection: mongoose.Connection;
  links: ReturnType<typeof memberCardLinkModel>;
  marks: ReturnType<typeof memberCardMarkModel>;
  members: ReturnType<typeof memberModel>;
  settings: SettingsService;
  cards: MemberCardService;
  api: MemberCardApi;
  /** Stored value (modules/stored-value), when the programme has it: the card shows the balance too. */
  storedValue?: StoredValueSource;
  now: () => Date;
}

export class MemberCardSync {
  private rateLimits!: RateLimits;
  private perMinute = DEFAULT_UPDATES_PER_MINUTE;

  constructor(private readonly deps: MemberCardSyncDeps) {
    this.updatesPerMinute = DEFAULT_UPDATES_PER_MINUTE;
  }

  get updatesPerMinute(): number {
    return this.perMinute;
  }

  /** The most updateuser calls sent per minute by all instances together. */
  set updatesPerMinute(perMinute: number) {
    this.perMinute = perMinute;
    this.rateLimits = new RateLimits(this.deps.connection, { [RATE_LIMIT]: { points: perMinute, windowSeconds: 60 } });
  }

  /** The job: activations left half-done, then changed members, then the cards due an update. */
  async runDue(options: { touch?: () => Promise<void> } = {}): Promise<{ processed: number }> {
    const activated = await this.deps.cards.finishActivations();
    await this.markChanged(options);
    const { sent } = await this.sendDue(options);
    return { processed: activated + sent };
  }

  async markChanged(options: { touch?: () => Promise<void> } = {}): Promise<number> {
    const { links, marks, members, settings, cards, now } = this.deps;
    const mark = await marks.findById(MARK_ID).lean();
    const from = new Date((mark?.updatedAt?.getTime() ?? 0) - OVERLAP_MS);
    const [{ tiers, updatedAt: settingsAt }, design] = await Promise.all([settings.get(), cards.design()]);
    let marked = 0;
    // HQ renamed a tier (or changed other settings): every card is looked at again; unchanged faces cost no call.
    if (!mark?.settingsAt || settingsAt > mark.settingsAt) {
      marked += (await links.updateMany({ status: 'active', dirty: false }, { $set: { dirty: true, dirtyAt: now(), nextAttemptAt: now() } })).modifiedCount;
      await marks.updateOne({ _id: MARK_ID }, { $set: { settingsAt } }, { upsert: true });
    }
    let after: { updatedAt: Date; _id: MemberDoc['_id'] } | null = null;
    let newest = mark?.updatedAt ?? new Date(0);
    for (;;) {
      const range: Record<string, unknown> = after
        ? { $or: [{ updatedAt: { $gt: after.updatedAt } }, { updatedAt: after.updatedAt, _id: { $gt: after._id } }] }
        : { updatedAt: { $gte: from } };
      const batch = await members
        .find(range, { _id: 1, pointsBalance: 1, tier: 1, status: 1, updatedAt: 1 })
        .sort({ updatedAt: 1, _id: 1 })
        .limit(BATCH)
        .lean<Array<Pick<MemberDoc, '_id' | 'pointsBalance' | 'tier' | 'status'> & { updatedAt: Date }>>();
      if (batch.length === 0) break;
      marked += await this.markDiffering(batch, tiers, design);
      const last = batch[batch.length - 1]!;
      after = { updatedAt: last.updatedAt, _id: last._id };
      if (last.updatedAt > newest) newest = last.updatedAt;
      await options.touch?.();
      if (batch.length < BATCH) break;
    }
    await marks.updateOne({ _id: MARK_ID }, { $max: { updatedAt: newest } }, { upsert: true });
    return marked + (await this.markBalanceChanges(tiers, design, options));
  }

  /**
   * Stored-value changes since their own mark: every change books an entry, and entries' ObjectIds grow with
   * time, so the walk uses the _id index (from OVERLAP_MS before the mark, as for members) instead of an index
   * on the accounts.
   */
  private async markBalanceChanges(tiers: Parameters<typeof cardFaceOf>[1], design: Parameters<typeof cardFaceOf>[2], options: { touch?: () => Promise<void> }): Promise<number> {
    const { storedValue } = this.deps;
    if (!storedValue) return 0;
    const { marks, members } = this.deps;
    const mark = await marks.findById(BALANCE_MARK_ID).lean();
    let after = Types.ObjectId.createFromTime(Math.max(0, Math.floor(((mark?.updatedAt?.getTime() ?? 0) - OVERLAP_MS) / 1000)));
    let newest = mark?.updatedAt ?? new Date(0);
    let marked = 0;
    for (;;) {
      const entries = await storedValue.entries.find({ _id: { $gt: after } }, { memberId: 1 }).sort({ _id: 1 }).limit(BATCH).lean<Array<{ _id: Types.ObjectId; memberId: Types.ObjectId }>>();
      if (entries.length === 0) break;
      const memberIds = [...new Set(entries.map((entry) => String(entry.memberId)))].map((id) => new Types.ObjectId(id));
      const batch = await members.find({ _id: { $in: memberIds } }, { _id: 1, pointsBalance: 1, tier: 1, status: 1 }).lean<Array<Pick<MemberDoc, '_id' | 'pointsBalance' | 'tier' | 'status'>>>();
      marked += await this.markDiffering(batch, tiers, design);
      after = entries[entries.length - 1]!._id;
      if (after.getTimestamp() > newest) newest = after.getTimestamp();
      await options.touch?.();
      if (entries.length < BATCH) break;
    }
    await marks.updateOne({ _id: BALANCE_MARK_ID }, { $max: { updatedAt: newest } }, { upsert: true });
    return marked;
  }

  /** Marks dirty the active cards of these members whose face differs from what they should show. */
  private async markDiffering(batch: Array<Pick<MemberDoc, '_id' | 'pointsBalance' | 'tier' | 'status'>>, tiers: Parameters<typeof cardFaceOf>[1], design: Parameters<typeof cardFaceOf>[2]): Promise<number> {
    const { links, now } = this.deps;
    const linked = await links.find({ memberId: { $in: batch.map((m) => m._id) }, status: 'active', dirty: false }, { memberId: 1, shown: 1 }).lean<MemberCardLinkDoc[]>();
    if (linked.length === 0) return 0;
    const balances = await balancesOf(this.deps.storedValue, linked.map((link) => link.memberId));
    const byMember = new Map(batch.map((m) => [String(m._id), m]));
    let marked = 0;
    for (const link of linked) {
      const member = byMember.get(String(link.memberId));
      if (!member || member.status !== 'active') continue;
      if (sameFace(link.shown, cardFaceOf(member, tiers, design, balances?.get(String(member._id)) ?? null))) continue;
      const result = await links.updateOne({ _id: link._id, dirty: false }, { $set: { dirty: true, dirtyAt: now(), nextAttemptAt: now() } });
      marked += result.modifiedCount;
    }
    return marked;
  }

  /** Sends the dirty cards that are due, within the rate budget; `sent` counts WeChat calls that succeeded. */
  async sendDue(options: { touch?: () => Promise<void>; maxCalls?: number } = {}): Promise<{ sent: number; failed: number; rateLimited: boolean }> {
    const { links, members, settings, cards, now } = this.deps;
    const [{ tiers }, design] = await Promise.all([settings.cached(), cards.design()]);
    let sent = 0;
    let failed = 0;
    for (;;) {
      const due = await links
        .find({ dirty: true, status: 'active', nextAttemptAt: { $ne: null, $lte: now() } })
        .sort({ nextAttemptAt: 1 })
        .limit(50)
        .lean<MemberCardLinkDoc[]>();
      if (due.length === 0) return { sent, failed, rateLimited: false };
      for (const link of due) {
        const member = await members.findOne({ _id: link.memberId }, { pointsBalance: 1, tier: 1, status: 1 }).lean<MemberDoc>();
        const balance = member ? ((await balancesOf(this.deps.storedValue, [member._id]))?.get(String(member._id)) ?? null) : null;
        const face = member && member.status === 'active' ? cardFaceOf(member, tiers, design, balance) : null;
        if (!face || sameFace(link.shown, face)) {
          await links.updateOne({ _id: link._id, dirtyAt: link.dirtyAt }, { $set: { dirty: false, nextAttemptAt: null } });
          continue;
        }
        if (options.maxCalls !== undefined && sent + failed >= options.maxCalls) return { sent, failed, rateLimited: false };
        if (!(await this.rateLimits.attempt(RATE_LIMIT, 'all')).allowed) return { sent, failed, rateLimited: true };
        try {
          await this.deps.api.updateUser(updateRequest(link, face));
        } catch (error) {
          if (error instanceof WeChatApiError && RATE_REFUSALS.has(error.errcode)) return { sent, failed, rateLimited: true };
          failed += 1;
          await this.recordFailure(link, error);
          continue;
        }
        sent += 1;
        await links.updateOne({ _id: link._id }, { $set: { shown: face, lastSyncedAt: now(), failures: 0, lastError: null }, $inc: { syncs: 1 } });
        // Cleared only if nothing marked the card again while this call was out (dirtyAt unchanged).
        await links.updateOne({ _id: link._id, dirtyAt: link.dirtyAt }, { $set: { dirty: false, nextAttemptAt: null } });
      }
      await options.touch?.();
    }
  }

  /** HQ's retry: the failing cards (or one) are due again now, with a fresh count, and sent at once. */
  async retry(linkId?: string): Promise<{ retried: number; sent: number }> {
    const { links, now } = this.deps;
    const filter = linkId ? { _id: linkId, dirty: true, failures: { $gt: 0 } } : { dirty: true, failures: { $gt: 0 } };
    const { modifiedCount } = await links.updateMany(filter, { $set: { failures: 0, nextAttemptAt: now() } });
    // HQ waits for the answer: the first few are sent now, the job sends the rest within the minute.
    const { sent } = await this.sendDue({ maxCalls: RETRY_NOW });
    return { retried: modifiedCount, sent };
  }

  /** The console's sync figures. */
  async status(): Promise<{ membersOnCard: number; activating: number; waiting: number; failing: number; lastSyncAt: Date | null; updatesPerMinute: number }> {
    const { links } = this.deps;
    const [membersOnCard, activating, waiting, failing, last] = await Promise.all([
      links.countDocuments({ status: 'active' }),
      links.countDocuments({ status: 'activating' }),
      links.countDocuments({ dirty: true, status: 'active' }),
      links.countDocuments({ failures: { $gt: 0 } }),
      links.findOne({ lastSyncedAt: { $ne: null } }, { lastSyncedAt: 1 }).sort({ lastSyncedAt: -1 }).lean<MemberCardLinkDoc>(),
    ]);
    return { membersOnCard, activating, waiting, failing, lastSyncAt: last?.lastSyncedAt ?? null, updatesPerMinute: this.perMinute };
  }

  /** Cards whose updates WeChat refused, most failures first, with the member's card number. */
  async failures(limit = 50): Promise<Array<{ linkId: string; memberId: string; cardNo: string | null; code: string; failures: number; lastError: MemberCardLinkDoc['lastError']; nextAttemptAt: Date | null }>> {
    const { links, members } = this.deps;
    const failing = await links.find({ failures: { $gt: 0 } }).sort({ failures: -1 }).limit(limit).lean<MemberCardLinkDoc[]>();
    const cardNos = new Map(
      (await members.find({ _id: { $in: failing.map((link) => link.memberId) } }, { cardNo: 1 }).lean<MemberDoc[]>()).map((m) => [String(m._id), m.cardNo ?? null]),
    );
    return failing.map((link) => ({
      linkId: String(link._id), memberId: String(link.memberId), cardNo: cardNos.get(String(link.memberId)) ?? null, code: link.code,
      failures: link.failures, lastError: link.lastError ?? null, nextAttemptAt: link.nextAttemptAt ?? null,
    }));
  }

  private async recordFailure(link: MemberCardLinkDoc, error: unknown): Promise<void> {
    const { links, now } = this.deps;
    if (error instanceof WeChatApiError && CODE_GONE.has(error.errcode)) {
      await links.updateOne({ _id: link._id }, { $set: { status: 'removed', dirty: false, nextAttemptAt: null, lastError: errorInfo(error, now()) } });
      return;
    }
    const failures = link.failures + 1;
    const nextAttemptAt = failures >= MAX_FAILURES ? null : new Date(now().getTime() + Math.min(MAX_BACKOFF_MS, 60_000 * 2 ** (failures - 1)));
    await links.updateOne({ _id: link._id }, { $set: { failures, nextAttemptAt, lastError: errorInfo(error, now()) } });
  }
}

/** updateuser's body: the totals the card shows, the change for WeChat's message, the tier and its art. */
function updateRequest(link: MemberCardLinkDoc, face: CardFace) {
  const change = link.shown ? face.bonus - link.shown.bonus : 0;
  const balanceChange = face.balanceFen !== null && link.shown?.balanceFen != null ? face.balanceFen - link.shown.balanceFen : 0;
  const tierChanged = !link.shown || link.shown.tierName !== face.tierName;
  return {
    card_id: link.cardId,
    code: link.code,
    bonus: face.bonus,
    ...(change !== 0 ? { add_bonus: change, record_bonus: change > 0 ? '积分增加' : '积分减少' } : {}),
    // The balance too is sent as the total the card shows (fen), the change only words WeChat's message.
    ...(face.balanceFen !== null ? { balance: face.balanceFen } : {}),
    ...(balanceChange !== 0 ? { add_balance: balanceChange, record_balance: balanceChange > 0 ? '储值增加' : '储值消费' } : {}),
    custom_field_value1: face.tierName,
    ...(!link.shown || link.shown.backgroundUrl !== face.backgroundUrl ? { background_pic_url: face.backgroundUrl } : {}),
    notify_optional: { is_notify_bonus: change !== 0, is_notify_balance: balanceChange !== 0, is_notify_custom_field1: tierChanged },
  };
}
