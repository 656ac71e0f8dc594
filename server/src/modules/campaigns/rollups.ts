import mongoose, { Schema, Types, type ClientSession } from 'mongoose';
import { inTransaction } from '../../lib/transactions';
import type { CouponTemplateDoc, couponTemplateModel, redemptionModel } from '../coupons/model';
import type { purchaseModel } from '../purchases/model';
import type { CampaignDoc, campaignAudienceModel, campaignModel } from './model';

/**
 * Each campaign's outcome (who was targeted and held out, who came and what they spent in the window, which
 * coupons were redeemed where and for how much) kept per campaign, home store, tier and group, so a campaign's
 * stats, its results and the campaign list read a few documents per campaign instead of its whole audience and
 * their purchases (one campaign's stats 0.2 s at 10k members → 2.2 s at 100k when they were counted per request).
 *
 * The unit is one (campaign, member) pair: its outcome is worked out from the sources (the audience record, the
 * member's booked purchases in the campaign's window, the member's redemptions of the campaign's coupons) and
 * remembered in a shadow document. A change to any source since its feed's mark (an audience record written, a
 * purchase booked or reversed, a redemption made or reversed) makes its pairs dirty; a run works each dirty pair
 * out afresh, takes the shadow's old outcome off the pair's rollup and puts the new one on, and moves the feed's
 * mark, all in one transaction. Working a pair out again changes nothing, so a crash or a racing run cannot count
 * anything twice. As with the member rollups, only settled changes are taken (older than SETTLE_MS, longer than a
 * transaction may live), and readers fold the unsettled tail in themselves, so figures are current.
 */

export const SETTLE_MS = 90_000;
const BATCH = 2_000;
/** Readers fold at most this many unsettled changes in themselves; beyond it they run the job first. */
const TAIL_LIMIT = 5_000;
const EPOCH = new Date(0);
/** One reply for a batch's reads (the driver's default first batch is 101 documents, then a getMore each). */
const READ_BATCH = 10_000;

export type OutcomeGroup = 'treated' | 'holdout' | 'none';

/** What one (campaign, member) pair adds to its rollup document; null when it adds nothing. */
export interface Outcome {
  key: string;
  campaignId: string;
  storeId: string | null;
  /** The member's tier at push time; null for a redeemer with no audience record ('none'). */
  tier: string | null;
  group: OutcomeGroup;
  visited: 0 | 1;
  spendFen: number;
  redeemed: number;
  orderAmountFen: number;
  couponCostFen: number;
  /** Redeeming store (path-safe key) → [redemptions, order amount in fen]. */
  redeemedAt: Record<string, [number, number]>;
}

/** One campaign, home store, tier and group. Sums over its pairs; spendSq makes the spend variance readable. */
export interface CampaignRollupDoc {
  _id: string;
  campaignId: Types.ObjectId;
  storeId: string | null;
  tier: string | null;
  group: OutcomeGroup;
  targeted: number;
  visitors: number;
  spendFen: number;
  spendSq: number;
  redeemed: number;
  orderAmountFen: number;
  couponCostFen: number;
  redeemedAt: Record<string, number>;
  redeemedAmountAt: Record<string, number>;
}

interface ShadowDoc {
  _id: string;
  outcome: Outcome | null;
}

interface MarkDoc {
  _id: string;
  time: Date;
  id: Types.ObjectId | null;
}

const RollupSchema = new Schema<CampaignRollupDoc>(
  {
    _id: String,
    campaignId: { type: Schema.Types.ObjectId, required: true },
    storeId: { type: String, default: null },
    tier: { type: String, default: null },
    group: String,
    targeted: { type: Number, default: 0 },
    visitors: { type: Number, default: 0 },
    spendFen: { type: Number, default: 0 },
    spendSq: { type: Number, default: 0 },
    redeemed: { type: Number, default: 0 },
    orderAmountFen: { type: Number, default: 0 },
    couponCostFen: { type: Number, default: 0 },
    redeemedAt: { type: Schema.Types.Mixed, default: {} },
    redeemedAmountAt: { type: Schema.Types.Mixed, default: {} },
  },
  { versionKey: false, collection: 'campaign_rollups', minimize: false },
);
RollupSchema.index({ campaignId: 1 });
const ShadowSchema = new Schema<ShadowDoc>({ _id: String, outcome: { type: Schema.Types.Mixed, default: null } }, { versionKey: false, collection: 'campaign_rollup_shadows', minimize: false });
const MarkSchema = new Schema<MarkDoc>({ _id: String, time: Date, id: { type: Schema.Types.ObjectId, default: null } }, { versionKey: false, collection: 'campaign_rollup_marks' });

export function campaignRollupModels(connection: mongoose.Connection) {
  return {
    rollups: connection.models.CampaignRollup ?? connection.model<CampaignRollupDoc>('CampaignRollup', RollupSchema),
    shadows: connection.models.CampaignRollupShadow ?? connection.model<ShadowDoc>('CampaignRollupShadow', ShadowSchema),
    marks: connection.models.CampaignRollupMark ?? connection.model<MarkDoc>('CampaignRollupMark', MarkSchema),
  } as {
    rollups: mongoose.Model<CampaignRollupDoc>;
    shadows: mongoose.Model<ShadowDoc>;
    marks: mongoose.Model<MarkDoc>;
  };
}

/** Store ids as keys of a stored map ('.' and '$' would be read as paths). */
export const storeKey = (storeId: string) => storeId.replace(/[%.$]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
export const storeOfKey = (key: string) => key.replace(/%([0-9a-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

/**
 * What one redeemed coupon gave away: a cash coupon its face value (the amount off); a discount coupon what it took
 * off the order (known when the order amount was given); a gift has no amount in fen here.
 */
export function couponCostFen(template: Pick<CouponTemplateDoc, 'type' | 'amountOffFen'> | null, savingFen: number | null | undefined): number {
  if (template?.type === 'cash') return template.amountOffFen ?? savingFen ?? 0;
  return savingFen ?? 0;
}

/** A source whose changes make pairs dirty: the records written (or reversed) after its mark, by `time`. */
interface Feed {
  name: 'audience' | 'purchases' | 'purchase-reversals' | 'redemptions' | 'redemption-reversals';
  model: mongoose.Model<any>;
  time: string;
  projection: Record<string, 1>;
}

interface FeedRecord {
  _id: Types.ObjectId;
  memberId: Types.ObjectId;
  campaignId?: Types.ObjectId;
  channel?: string;
  channelRef?: string;
  at?: Date;
  createdAt?: Date;
  reversedAt?: Date;
  reversal?: { at?: Date } | null;
}

type Pair = { campaignId: string; memberId: string };
const pairKey = (p: Pair) => `${p.campaignId}:${p.memberId}`;

interface Deps {
  connection: mongoose.Connection;
  campaigns: ReturnType<typeof campaignModel>;
  templates: ReturnType<typeof couponTemplateModel>;
  audience: ReturnType<typeof campaignAudienceModel>;
  purchases: ReturnType<typeof purchaseModel>;
  redemptions: ReturnType<typeof redemptionModel>;
  now: () => Date;
}

export class CampaignRollups {
  readonly models: ReturnType<typeof campaignRollupModels>;
  private readonly feeds: Feed[];

  constructor(private readonly deps: Deps) {
    this.models = campaignRollupModels(deps.connection);
    const feed = (name: Feed['name'], model: Feed['model'], time: string, extra: Record<string, 1> = {}): Feed => ({
      name, model, time, projection: { _id: 1, memberId: 1, [time]: 1, ...extra },
    });
    this.feeds = [
      feed('audience', deps.audience, 'at', { campaignId: 1 }),
      feed('purchases', deps.purchases, 'createdAt'),
      feed('purchase-reversals', deps.purchases, 'reversal.at'),
      feed('redemptions', deps.redemptions, 'createdAt', { channel: 1, channelRef: 1 }),
      feed('redemption-reversals', deps.redemptions, 'reversedAt', { channel: 1, channelRef: 1 }),
    ];
  }

  /** Folds every settled change of every feed into the rollups, a batch (one transaction) at a time. */
  async catchUp(options: { touch?: () => Promise<void>; settleMs?: number } = {}): Promise<{ processed: number }> {
    const until = new Date(this.deps.now().getTime() - (options.settleMs ?? SETTLE_MS));
    let processed = 0;
    for (const feed of this.feeds) {
      for (;;) {
        const done = await inTransaction(this.deps.connection, undefined, async (session) => {
          const stored = await this.models.marks.findById(feed.name).session(session).lean<MarkDoc>();
          const mark = stored ?? (await this.initialMark(feed, until, session));
          const records = await this.page(feed, mark, until, BATCH, session);
          if (records.length === 0) return 0;
          const pairs = await this.pairsOf(feed, records, null, session);
          if (pairs.length) {
            const [outcomes, shadows] = await Promise.all([this.outcomesOf(pairs, session), this.shadowsOf(pairs, session)]);
            const changes = new Map<string, RollupChange>();
            for (const pair of pairs) addChange(changes, shadows.get(pairKey(pair)) ?? null, outcomes.get(pairKey(pair)) ?? null);
            const writes = [...changes].filter(([, change]) => Object.keys(change.inc).length > 0);
            if (writes.length)
              await this.models.rollups.bulkWrite(
                writes.map(([key, change]) => ({ updateOne: { filter: { _id: key }, update: { $inc: change.inc, $setOnInsert: change.identity }, upsert: true } })),
                { session },
              );
            // Pairs whose outcome is as remembered need no write (a purchase already counted when its member's
            // audience record was folded, say).
            const changed = pairs.filter((pair) => JSON.stringify(shadows.get(pairKey(pair)) ?? null) !== JSON.stringify(outcomes.get(pairKey(pair)) ?? null));
            if (changed.length)
              await this.models.shadows.bulkWrite(
                changed.map((pair) => ({ replaceOne: { filter: { _id: pairKey(pair) }, replacement: { _id: pairKey(pair), outcome: outcomes.get(pairKey(pair)) ?? null }, upsert: true } })),
                { session },
              );
          }
          const last = records[records.length - 1]!;
          // Conditional on the mark read above: a racing run that moved it first makes this one start over.
          const moved = await this.models.marks.updateOne(
            { _id: feed.name, time: mark.time, id: mark.id },
            { $set: { time: timeOf(feed, last), id: last._id } },
            { session, upsert: !stored },
          );
          if (moved.matchedCount + moved.upsertedCount !== 1) throw new Error(`campaign rollup mark ${feed.name} moved by another run`);
          return records.length;
        });
        if (done === 0) break;
        processed += done;
        await options.touch?.();
      }
    }
    return { processed };
  }

  /**
   * The rollup documents of these campaigns as they are now: the stored ones plus the changes since the marks (each
   * dirty pair's shadow taken off and its outcome now put on). Answers campaign id → its documents.
   */
  async current(campaignIds: string[]): Promise<Map<string, CampaignRollupDoc[]>> {
    const answer = new Map<string, CampaignRollupDoc[]>(campaignIds.map((id) => [id, []]));
    if (campaignIds.length === 0) return answer;
    let tail = await this.tail(TAIL_LIMIT);
    if (!tail) {
      await this.catchUp();
      tail = (await this.tail(0))!;
    }
    const ids = campaignIds.map((id) => new Types.ObjectId(id));
    const [stored, tailPairs] = await Promise.all([
      this.models.rollups.find({ campaignId: ids.length === 1 ? ids[0] : { $in: ids } }).lean<CampaignRollupDoc[]>(),
      (async () => {
        const found = new Map<string, Pair>();
        const pairs = await Promise.all(this.feeds.map((feed, i) => this.pairsOf(feed, tail![i]!, ids)));
        for (const pair of pairs.flat()) found.set(pairKey(pair), pair);
        return [...found.values()];
      })(),
    ]);
    const docs = new Map(stored.map((doc) => [doc._id, doc]));
    if (tailPairs.length) {
      const [outcomes, shadows] = await Promise.all([this.outcomesOf(tailPairs), this.shadowsOf(tailPairs)]);
      const changes = new Map<string, RollupChange>();
      for (const pair of tailPairs) addChange(changes, shadows.get(pairKey(pair)) ?? null, outcomes.get(pairKey(pair)) ?? null);
      for (const [key, change] of changes) {
        const doc = docs.get(key) ?? docs.set(key, emptyRollup(key, change.identity)).get(key)!;
        applyInc(doc, change.inc);
      }
    }
    for (const doc of docs.values()) answer.get(String(doc.campaignId))?.push(doc);
    return answer;
  }

  /** Works every pair out from its sources and compares the sums with the rollups (after catching up): the breaks. */
  async reconcile(): Promise<{ pairsChecked: number; breaks: string[] }> {
    await this.catchUp({ settleMs: 0 });
    const recount = new Map<string, RollupChange>();
    let pairsChecked = 0;
    const check = async (pairs: Pair[]) => {
      pairsChecked += pairs.length;
      const outcomes = await this.outcomesOf(pairs);
      for (const pair of pairs) addChange(recount, null, outcomes.get(pairKey(pair)) ?? null);
    };
    // Every audience record, and every redemption of a campaign coupon (a redeemer may have no audience record).
    const seen = new Set<string>();
    let batch: Pair[] = [];
    const take = async (pair: Pair) => {
      if (seen.has(pairKey(pair))) return;
      seen.add(pairKey(pair));
      batch.push(pair);
      if (batch.length >= BATCH) {
        await check(batch);
        batch = [];
      }
    };
    for await (const record of this.deps.audience.find({}, { campaignId: 1, memberId: 1 }).lean<FeedRecord>().cursor({ batchSize: 5000 })) {
      await take({ campaignId: String(record.campaignId), memberId: String(record.memberId) });
    }
    for await (const record of this.deps.redemptions.find({ channel: 'campaign' }, { memberId: 1, channelRef: 1 }).lean<FeedRecord>().cursor({ batchSize: 5000 })) {
      if (Types.ObjectId.isValid(record.channelRef!)) await take({ campaignId: record.channelRef!, memberId: String(record.memberId) });
    }
    if (batch.length) await check(batch);

    const stored = new Map((await this.models.rollups.find({}).lean<CampaignRollupDoc[]>()).map((doc) => [doc._id, doc]));
    const breaks: string[] = [];
    for (const key of new Set([...recount.keys(), ...stored.keys()])) {
      const change = recount.get(key);
      const expected = emptyRollup(key, change?.identity ?? { campaignId: new Types.ObjectId(), storeId: null, tier: null, group: 'none' });
      if (change) applyInc(expected, change.inc);
      const problem = compareRollups(expected, stored.get(key));
      if (problem) breaks.push(`campaign ${key}: ${problem}`);
    }
    return { pairsChecked, breaks };
  }

  private async marks(): Promise<Map<string, MarkDoc>> {
    const stored = await this.models.marks.find({}).lean<MarkDoc[]>();
    const byName = new Map(stored.map((m) => [m._id, m]));
    const until = new Date(this.deps.now().getTime() - SETTLE_MS);
    for (const feed of this.feeds) if (!byName.has(feed.name)) byName.set(feed.name, await this.initialMark(feed, until));
    return byName;
  }

  /**
   * Where a feed starts: audience records from the beginning; purchases and redemptions from the first launch (nothing
   * earlier can count), or from `until` while no campaign has launched (a later launch is later than that).
   */
  private async initialMark(feed: Feed, until: Date, session?: ClientSession): Promise<MarkDoc> {
    if (feed.name === 'audience') return { _id: feed.name, time: EPOCH, id: null };
    const first = await this.deps.campaigns
      .findOne({ launchedAt: { $ne: null } }, { launchedAt: 1 })
      .sort({ launchedAt: 1 })
      .session(session ?? null)
      .lean<Pick<CampaignDoc, 'launchedAt'>>();
    const from = first?.launchedAt && first.launchedAt < until ? first.launchedAt : until;
    return { _id: feed.name, time: new Date(from.getTime() - 1), id: null };
  }

  /**
   * A feed's records after its mark, in (time, _id) order: the rest of the mark's own instant (a bulk write stamps
   * many records alike), then later ones up to `until` (null: all). The time indexes are on the time alone, so the
   * later ones come sorted by time only: a full page gives up its last instant (whose records may be cut anywhere)
   * unless that instant is all it holds, which is then read whole in _id order. `limit` 0: no limit.
   */
  private async page(feed: Feed, mark: MarkDoc, until: Date | null, limit: number, session?: ClientSession): Promise<FeedRecord[]> {
    const find = (filter: Record<string, unknown>, sort: Record<string, 1>, n: number) => {
      const query = feed.model.find(filter, feed.projection).sort(sort).batchSize(READ_BATCH).session(session ?? null);
      return (n > 0 ? query.limit(n) : query).lean<FeedRecord[]>();
    };
    const records = mark.id ? await find({ [feed.time]: mark.time, _id: { $gt: mark.id } }, { _id: 1 }, limit) : [];
    if (limit > 0 && records.length >= limit) return records;
    const range: Record<string, Date> = { $gte: new Date(mark.time.getTime() + 1) };
    if (until) {
      if (range.$gte! > until) return records;
      range.$lte = until;
    }
    const wanted = limit === 0 ? 0 : limit - records.length;
    const later = await find({ [feed.time]: range }, { [feed.time]: 1 }, wanted);
    if (wanted === 0 || later.length < wanted) return [...records, ...byTimeThenId(feed, later)];
    const lastTime = timeOf(feed, later[later.length - 1]!).getTime();
    const before = later.filter((r) => timeOf(feed, r).getTime() < lastTime);
    if (before.length > 0) return [...records, ...byTimeThenId(feed, before)];
    if (records.length > 0) return records;
    return find({ [feed.time]: new Date(lastTime) }, { _id: 1 }, limit);
  }

  /**
   * Every feed's records after its mark (the rest of the mark's instant, then later ones), or null when more than `cap`
   * of them wait in one feed (0: no cap).
   */
  private async tail(cap: number): Promise<FeedRecord[][] | null> {
    const marks = await this.marks();
    const parts = await Promise.all(
      this.feeds.map(async (feed) => {
        const mark = marks.get(feed.name)!;
        const find = (filter: Record<string, unknown>) => {
          const query = feed.model.find(filter, feed.projection).batchSize(cap > 0 ? cap + 1 : 10_000);
          return (cap > 0 ? query.limit(cap + 1) : query).lean<FeedRecord[]>();
        };
        // Two index ranges (not one $or, which would not be planned on the index), as the job pages.
        const [sameInstant, later] = await Promise.all([
          mark.id ? find({ [feed.time]: mark.time, _id: { $gt: mark.id } }) : [],
          find({ [feed.time]: { $gte: new Date(mark.time.getTime() + 1) } }),
        ]);
        return [...sameInstant, ...later];
      }),
    );
    return cap > 0 && parts.some((records) => records.length > cap) ? null : parts;
  }

  /** The (campaign, member) pairs a feed's records touch, only of `campaignIds` when given. */
  private async pairsOf(feed: Feed, records: FeedRecord[], campaignIds: Types.ObjectId[] | null, session?: ClientSession): Promise<Pair[]> {
    if (records.length === 0) return [];
    const wanted = campaignIds ? new Set(campaignIds.map(String)) : null;
    const keep = (pair: Pair) => !wanted || wanted.has(pair.campaignId);
    if (feed.name === 'audience') return records.map((r) => ({ campaignId: String(r.campaignId), memberId: String(r.memberId) })).filter(keep);
    if (feed.name === 'redemptions' || feed.name === 'redemption-reversals') {
      return records
        .filter((r) => r.channel === 'campaign' && Types.ObjectId.isValid(r.channelRef ?? ''))
        .map((r) => ({ campaignId: r.channelRef!, memberId: String(r.memberId) }))
        .filter(keep);
    }
    // A purchase touches every campaign the member is in the audience of.
    // By member only: a campaign condition would have a planner walk the campaign's whole audience instead.
    const memberIds = [...new Set(records.map((r) => String(r.memberId)))].map((id) => new Types.ObjectId(id));
    const audience = await this.deps.audience
      .find({ memberId: { $in: memberIds } }, { campaignId: 1, memberId: 1 })
      .batchSize(READ_BATCH)
      .session(session ?? null)
      .lean<Array<{ campaignId: Types.ObjectId; memberId: Types.ObjectId }>>();
    return audience.map((a) => ({ campaignId: String(a.campaignId), memberId: String(a.memberId) })).filter(keep);
  }

  private async shadowsOf(pairs: Pair[], session?: ClientSession): Promise<Map<string, Outcome | null>> {
    const shadows = await this.models.shadows
      .find({ _id: { $in: pairs.map(pairKey) } })
      .batchSize(READ_BATCH)
      .session(session ?? null)
      .lean<ShadowDoc[]>();
    return new Map(shadows.map((s) => [s._id, s.outcome]));
  }

  /** Each pair's outcome from its sources: one read per source for the whole batch, through member-keyed indexes. */
  private async outcomesOf(pairs: Pair[], session?: ClientSession): Promise<Map<string, Outcome | null>> {
    const answer = new Map<string, Outcome | null>();
    const campaignIds = [...new Set(pairs.map((p) => p.campaignId))].map((id) => new Types.ObjectId(id));
    const memberIds = [...new Set(pairs.map((p) => p.memberId))].map((id) => new Types.ObjectId(id));
    const campaigns = await this.deps.campaigns
      .find({ _id: { $in: campaignIds } }, { launchedAt: 1, windowEndsAt: 1, templateId: 1 })
      .session(session ?? null)
      .lean<Array<Pick<CampaignDoc, '_id' | 'launchedAt' | 'windowEndsAt' | 'templateId'>>>();
    const launched = campaigns.filter((c) => c.launchedAt);
    if (launched.length === 0) return answer;
    const [templates, audience, purchases, redemptions] = await Promise.all([
      this.deps.templates
        .find({ _id: { $in: [...new Set(launched.map((c) => String(c.templateId)))] } }, { type: 1, amountOffFen: 1 })
        .session(session ?? null)
        .lean<Array<Pick<CouponTemplateDoc, '_id' | 'type' | 'amountOffFen'>>>(),
      this.deps.audience
        .find({ memberId: { $in: memberIds } }, { campaignId: 1, memberId: 1, holdout: 1, homeStoreId: 1, tier: 1 })
        .batchSize(READ_BATCH)
        .session(session ?? null)
        .lean<Array<{ campaignId: Types.ObjectId; memberId: Types.ObjectId; holdout: boolean; homeStoreId: string | null; tier: string }>>(),
      this.deps.purchases.collection
        .find<{ memberId: Types.ObjectId; amountFen: number; createdAt: Date }>(
          // By member only (the window is applied below): with a time condition too, a planner may walk every
          // purchase since the first launch through the time index instead.
          { memberId: { $in: memberIds }, status: 'booked' },
          { projection: { _id: 0, memberId: 1, amountFen: 1, createdAt: 1 }, batchSize: READ_BATCH, ...(session ? { session } : {}) },
        )
        .toArray(),
      this.deps.redemptions.collection
        // By member only (the channel is picked out below): a channel condition would have a planner walk every
        // campaign redemption of the brand through the channel index instead.
        .find<{ memberId: Types.ObjectId; channel: string; channelRef: string; storeId: string; orderAmountFen?: number | null; savingFen?: number | null }>(
          { memberId: { $in: memberIds }, status: 'redeemed' },
          { projection: { _id: 0, memberId: 1, channel: 1, channelRef: 1, storeId: 1, orderAmountFen: 1, savingFen: 1 }, batchSize: READ_BATCH, ...(session ? { session } : {}) },
        )
        .toArray()
        .then((rows) => rows.filter((r) => r.channel === 'campaign')),
    ]);
    const campaignOf = new Map(launched.map((c) => [String(c._id), c]));
    const templateOf = new Map(templates.map((t) => [String(t._id), t]));
    const audienceOf = new Map(audience.map((a) => [`${String(a.campaignId)}:${String(a.memberId)}`, a]));
    const purchasesOf = groupBy(purchases, (p) => String(p.memberId));
    const redemptionsOf = groupBy(redemptions, (r) => `${r.channelRef}:${String(r.memberId)}`);
    for (const pair of pairs) {
      const key = pairKey(pair);
      const campaign = campaignOf.get(pair.campaignId);
      if (!campaign) {
        answer.set(key, null);
        continue;
      }
      const record = audienceOf.get(key);
      const redeemed = redemptionsOf.get(key) ?? [];
      if (!record && redeemed.length === 0) {
        answer.set(key, null);
        continue;
      }
      const start = campaign.launchedAt!.getTime();
      const end = campaign.windowEndsAt?.getTime() ?? Infinity;
      const bought = record ? (purchasesOf.get(pair.memberId) ?? []).filter((p) => p.createdAt.getTime() >= start && p.createdAt.getTime() < end) : [];
      const template = templateOf.get(String(campaign.templateId)) ?? null;
      const group: OutcomeGroup = record ? (record.holdout ? 'holdout' : 'treated') : 'none';
      const storeId = record?.homeStoreId ?? null;
      const tier = record?.tier ?? null;
      const outcome: Outcome = {
        key: `${pair.campaignId}|${storeId === null ? '' : storeKey(storeId)}|${tier ?? ''}|${group}`,
        campaignId: pair.campaignId, storeId, tier, group,
        visited: bought.length > 0 ? 1 : 0,
        spendFen: bought.reduce((sum, p) => sum + p.amountFen, 0),
        redeemed: redeemed.length, orderAmountFen: 0, couponCostFen: 0, redeemedAt: {},
      };
      for (const r of redeemed) {
        outcome.orderAmountFen += r.orderAmountFen ?? 0;
        outcome.couponCostFen += couponCostFen(template, r.savingFen);
        const at = (outcome.redeemedAt[storeKey(r.storeId)] ??= [0, 0]);
        at[0] += 1;
        at[1] += r.orderAmountFen ?? 0;
      }
      answer.set(key, outcome);
    }
    return answer;
  }
}

function timeOf(feed: Feed, record: FeedRecord): Date {
  switch (feed.name) {
    case 'audience': return record.at!;
    case 'purchase-reversals': return record.reversal!.at!;
    case 'redemption-reversals': return record.reversedAt!;
    default: return record.createdAt!;
  }
}

/** Records sorted by time and, within an instant, by _id: the order the mark follows. */
function byTimeThenId(feed: Feed, records: FeedRecord[]): FeedRecord[] {
  return records.sort((a, b) => timeOf(feed, a).getTime() - timeOf(feed, b).getTime() || (String(a._id) < String(b._id) ? -1 : String(a._id) > String(b._id) ? 1 : 0));
}

function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = map.get(key);
    if (list) list.push(item);
    else map.set(key, [item]);
  }
  return map;
}

type Identity = Pick<CampaignRollupDoc, 'campaignId' | 'storeId' | 'tier' | 'group'>;
interface RollupChange {
  identity: Identity;
  inc: Record<string, number>;
}

/** Increments per rollup document that turn `before` into `after` for one pair. */
function addChange(into: Map<string, RollupChange>, before: Outcome | null, after: Outcome | null): void {
  const apply = (o: Outcome, sign: 1 | -1) => {
    let entry = into.get(o.key);
    if (!entry) into.set(o.key, (entry = { identity: { campaignId: new Types.ObjectId(o.campaignId), storeId: o.storeId, tier: o.tier, group: o.group }, inc: {} }));
    const add = (path: string, value: number) => {
      if (value !== 0) entry!.inc[path] = (entry!.inc[path] ?? 0) + sign * value;
    };
    add('targeted', o.group === 'none' ? 0 : 1);
    add('visitors', o.visited);
    add('spendFen', o.spendFen);
    add('spendSq', o.spendFen * o.spendFen);
    add('redeemed', o.redeemed);
    add('orderAmountFen', o.orderAmountFen);
    add('couponCostFen', o.couponCostFen);
    for (const [store, [count, amount]] of Object.entries(o.redeemedAt ?? {})) {
      add(`redeemedAt.${store}`, count);
      add(`redeemedAmountAt.${store}`, amount);
    }
  };
  if (before) apply(before, -1);
  if (after) apply(after, 1);
}

function emptyRollup(key: string, identity: Identity): CampaignRollupDoc {
  return { _id: key, ...identity, targeted: 0, visitors: 0, spendFen: 0, spendSq: 0, redeemed: 0, orderAmountFen: 0, couponCostFen: 0, redeemedAt: {}, redeemedAmountAt: {} };
}

function applyInc(doc: CampaignRollupDoc, inc: Record<string, number>): void {
  for (const [path, value] of Object.entries(inc)) {
    const [field, sub] = path.split('.') as [keyof CampaignRollupDoc, string | undefined];
    if (sub === undefined) (doc as unknown as Record<string, number>)[field] += value;
    else {
      const map = ((doc as unknown as Record<string, Record<string, number>>)[field] ??= {});
      map[sub] = (map[sub] ?? 0) + value;
    }
  }
}

const NUMBER_FIELDS = ['targeted', 'visitors', 'spendFen', 'spendSq', 'redeemed', 'orderAmountFen', 'couponCostFen'] as const;

function compareRollups(expected: CampaignRollupDoc, actual: CampaignRollupDoc | undefined): string | null {
  const have = actual ?? emptyRollup(expected._id, expected);
  for (const field of NUMBER_FIELDS) {
    // spendSq may pass 2^53 at millions of members: compared to a relative 1e-12
    const same = field === 'spendSq' ? Math.abs(have[field] - expected[field]) <= 1e-12 * Math.max(1, Math.abs(expected[field])) : have[field] === expected[field];
    if (!same) return `${field} ${have[field]} ≠ recount ${expected[field]}`;
  }
  for (const name of ['redeemedAt', 'redeemedAmountAt'] as const) {
    for (const key of new Set([...Object.keys(expected[name] ?? {}), ...Object.keys(have[name] ?? {})])) {
      const want = expected[name]?.[key] ?? 0;
      const got = have[name]?.[key] ?? 0;
      if (want !== got) return `${name}.${key} ${got} ≠ recount ${want}`;
    }
  }
  return null;
}
