// Personalised offers (seed 002, the Tesco way): which coupons of HQ's offer pool one member gets in a selection
// run. Pure functions of the member's history and the pool, so the server's run, its benchmark and the tests all
// choose alike. Two kinds of offer:
// - category offers: each tagged with the categories it serves; a member gets the K best-matching ones, ranked by
//   how strongly the member buys the offer's categories (recency, frequency and spend, decayed with time);
// - threshold offers (满减): each with its min spend; a member gets T whose threshold is just above their typical
//   basket (the median of their last 12 months' purchases), so the coupon asks for a little more than usual.
// A member with too little history (cold start) gets the brand's best-selling categories' offers instead.
// Offers the member holds unused, or redeemed recently, are never picked again.

const DAY_MS = 24 * 60 * 60 * 1000;

/** One category in the member's summary (members.categoryStats). */
export interface CategoryHistory {
  category: string;
  lastAt: Date;
  spend12mFen: number;
  visits: number;
}

export interface ScoringSettings {
  /** Days after which a category's recency (and its decayed spend) halves. */
  halfLifeDays: number;
  /** Fewer 12-month purchases than this: cold start (best sellers instead of the member's own categories). */
  minVisits: number;
  /** Category offers per member (K). */
  categoryOffers: number;
  /** Threshold offers per member (T). */
  thresholdOffers: number;
  /** A threshold above basket × this is too far to be "just above" the usual basket. */
  maxStretch: number;
}

export const DEFAULT_SCORING: ScoringSettings = { halfLifeDays: 45, minVisits: 3, categoryOffers: 10, thresholdOffers: 2, maxStretch: 1.6 };

/** Weights of the three parts of a category's score (they sum to 1, so a score is in [0, 1]). */
const WEIGHTS = { recency: 0.4, frequency: 0.3, spend: 0.3 } as const;
/** Visits at which frequency reaches one half (it saturates towards 1). */
const FREQUENCY_HALF = 3;
/** Decayed spend (fen) at which the spend part reaches one half: ¥100. */
const SPEND_HALF_FEN = 10_000;

export interface CategoryScore {
  category: string;
  score: number;
  recency: number;
  frequency: number;
  spend: number;
}

/**
 * Each category the member bought, scored in [0, 1], best first (ties by code): recency halves every
 * `halfLifeDays` since the last purchase in it; frequency = visits / (visits + 3); spend is the 12-month spend
 * decayed by the same recency, as decayed / (decayed + ¥100). Categories with no spend left in the window
 * (returned, or aged out) are not scored.
 */
export function scoreCategories(stats: readonly CategoryHistory[], now: Date, settings: Pick<ScoringSettings, 'halfLifeDays'> = DEFAULT_SCORING): CategoryScore[] {
  const scores: CategoryScore[] = [];
  for (const stat of stats) {
    if (stat.spend12mFen <= 0 || stat.visits <= 0) continue;
    const days = Math.max(0, (now.getTime() - new Date(stat.lastAt).getTime()) / DAY_MS);
    const recency = 0.5 ** (days / settings.halfLifeDays);
    const frequency = stat.visits / (stat.visits + FREQUENCY_HALF);
    const decayed = stat.spend12mFen * recency;
    const spend = decayed / (decayed + SPEND_HALF_FEN);
    const score = WEIGHTS.recency * recency + WEIGHTS.frequency * frequency + WEIGHTS.spend * spend;
    scores.push({ category: stat.category, score, recency, frequency, spend });
  }
  return scores.sort((a, b) => b.score - a.score || a.category.localeCompare(b.category));
}

/** The member's typical basket: the median amount of their purchases (fen, rounded), or null without any. */
export function typicalBasketFen(basketsFen: readonly number[]): number | null {
  const amounts = basketsFen.filter((a) => a > 0).sort((a, b) => a - b);
  if (amounts.length === 0) return null;
  const mid = Math.floor(amounts.length / 2);
  return amounts.length % 2 === 1 ? amounts[mid]! : Math.round((amounts[mid - 1]! + amounts[mid]!) / 2);
}

/** An offer of the pool as the selection sees it. */
export interface PoolOffer {
  templateId: string;
  kind: 'category' | 'threshold';
  /** The categories a category offer serves (empty for threshold offers). */
  categories: readonly string[];
  /** A threshold offer's min spend (满 X). */
  minSpendFen: number | null;
  /** The basket sizes HQ says a threshold offer suits; null = any. */
  basketFromFen: number | null;
  basketToFen: number | null;
}

/** Why the member got the offer; kept with the coupon so the wallet and HQ can say it. */
export type OfferReason =
  | { kind: 'buys'; category: string }
  | { kind: 'bestseller'; category: string }
  | { kind: 'basket'; basketFen: number; minSpendFen: number }
  | { kind: 'starter'; minSpendFen: number };

export interface OfferPick {
  templateId: string;
  kind: 'category' | 'threshold';
  reason: OfferReason;
}

export interface MemberHistory {
  categoryStats: readonly CategoryHistory[];
  /** Amounts of the member's booked purchases in the last 12 months. */
  basketsFen: readonly number[];
  /** Templates the member holds an unused coupon of, or redeemed recently: never picked. */
  excludedTemplateIds: ReadonlySet<string>;
}

export interface Selection {
  coldStart: boolean;
  typicalBasketFen: number | null;
  picks: OfferPick[];
}

/**
 * The member's offers: K category offers and T threshold offers, at most, never an excluded template, never the
 * same template twice. With enough history a category offer needs one of its categories among the member's own
 * (scored by scoreCategories; the offer takes its best one, which is the reason); in cold start the offers of the
 * brand's best-selling categories (`bestSellers`, best first) are taken in that order. Threshold offers: see
 * pickThresholds.
 */
export function selectOffers(member: MemberHistory, pool: readonly PoolOffer[], bestSellers: readonly string[], now: Date, settings: ScoringSettings = DEFAULT_SCORING): Selection {
  const coldStart = member.basketsFen.length < settings.minVisits;
  const basket = typicalBasketFen(member.basketsFen);
  const open = pool.filter((offer) => !member.excludedTemplateIds.has(offer.templateId));
  const categoryPicks: OfferPick[] = [];

  if (!coldStart) {
    const scores = new Map(scoreCategories(member.categoryStats, now, settings).map((s) => [s.category, s.score]));
    const ranked: Array<{ offer: PoolOffer; category: string; score: number }> = [];
    for (const offer of open) {
      if (offer.kind !== 'category') continue;
      let best: { category: string; score: number } | null = null;
      for (const category of offer.categories) {
        const score = scores.get(category);
        if (score !== undefined && (!best || score > best.score || (score === best.score && category < best.category))) best = { category, score };
      }
      if (best) ranked.push({ offer, ...best });
    }
    ranked.sort((a, b) => b.score - a.score || a.offer.templateId.localeCompare(b.offer.templateId));
    for (const { offer, category } of ranked.slice(0, settings.categoryOffers)) categoryPicks.push({ templateId: offer.templateId, kind: 'category', reason: { kind: 'buys', category } });
  } else {
    const rank = new Map(bestSellers.map((category, i) => [category, i]));
    const ranked: Array<{ offer: PoolOffer; category: string; rank: number }> = [];
    for (const offer of open) {
      if (offer.kind !== 'category') continue;
      let best: { category: string; rank: number } | null = null;
      for (const category of offer.categories) {
        const r = rank.get(category);
        if (r !== undefined && (!best || r < best.rank)) best = { category, rank: r };
      }
      if (best) ranked.push({ offer, ...best });
    }
    ranked.sort((a, b) => a.rank - b.rank || a.offer.templateId.localeCompare(b.offer.templateId));
    for (const { offer, category } of ranked.slice(0, settings.categoryOffers)) categoryPicks.push({ templateId: offer.templateId, kind: 'category', reason: { kind: 'bestseller', category } });
  }

  const thresholds = pickThresholds(basket, open, settings);
  return { coldStart, typicalBasketFen: basket, picks: [...categoryPicks, ...thresholds] };
}

/**
 * T threshold offers sized just above the typical basket: thresholds strictly above the basket and at most
 * basket × maxStretch, within the basket range HQ gave the offer (when given), nearest first. A member with no
 * purchase gets the T lowest thresholds (reason `starter`).
 */
export function pickThresholds(basketFen: number | null, pool: readonly PoolOffer[], settings: Pick<ScoringSettings, 'thresholdOffers' | 'maxStretch'> = DEFAULT_SCORING): OfferPick[] {
  const thresholds = pool
    .filter((o): o is PoolOffer & { minSpendFen: number } => o.kind === 'threshold' && typeof o.minSpendFen === 'number' && o.minSpendFen > 0)
    .sort((a, b) => a.minSpendFen - b.minSpendFen || a.templateId.localeCompare(b.templateId));
  if (basketFen === null) {
    return thresholds.slice(0, settings.thresholdOffers).map((o) => ({ templateId: o.templateId, kind: 'threshold' as const, reason: { kind: 'starter' as const, minSpendFen: o.minSpendFen } }));
  }
  return thresholds
    .filter((o) => thresholdFits(basketFen, o, settings.maxStretch))
    .slice(0, settings.thresholdOffers)
    .map((o) => ({ templateId: o.templateId, kind: 'threshold' as const, reason: { kind: 'basket' as const, basketFen, minSpendFen: o.minSpendFen } }));
}

/** Whether a threshold suits a basket: above it, not beyond basket × maxStretch, and inside the offer's basket range. */
export function thresholdFits(basketFen: number, offer: Pick<PoolOffer, 'minSpendFen' | 'basketFromFen' | 'basketToFen'>, maxStretch: number): boolean {
  const min = offer.minSpendFen ?? 0;
  if (min <= basketFen || min > basketFen * maxStretch) return false;
  if (offer.basketFromFen !== null && basketFen < offer.basketFromFen) return false;
  if (offer.basketToFen !== null && basketFen > offer.basketToFen) return false;
  return true;
}

/** Money as people read it: ¥1,731.50. */
export function yuanText(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(Math.round(fen));
  const yuan = Math.floor(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}¥${yuan}.${String(abs % 100).padStart(2, '0')}`;
}

/** The reason in words, Chinese and English; `names` maps category codes to their names (code when unknown). */
export function reasonText(reason: OfferReason, names: (code: string) => { zh: string; en: string }): { zh: string; en: string } {
  switch (reason.kind) {
    case 'buys': {
      const n = names(reason.category);
      return { zh: `你常买 ${n.zh}`, en: `You often buy ${n.en}` };
    }
    case 'bestseller': {
      const n = names(reason.category);
      return { zh: `大家都在买 ${n.zh}`, en: `Popular: ${n.en}` };
    }
    case 'basket':
      return {
        zh: `你平时每次约 ${yuanText(reason.basketFen)}，多买一点就能用`,
        en: `Your usual basket is about ${yuanText(reason.basketFen)}: a little more and it applies`,
      };
    case 'starter':
      return { zh: `新会员礼：满 ${yuanText(reason.minSpendFen)} 可用`, en: `For new members: usable from ${yuanText(reason.minSpendFen)}` };
  }
}
