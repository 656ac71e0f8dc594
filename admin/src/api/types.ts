// Answer shapes the console reads. Contract fields come first in each type; everything marked
// "console extension" is listed in admin/README.md under "Server routes this console relies on".
// Members, coupon templates and activities are typed from @membercard/shared (see ../shared.ts).

export interface TierRef {
  code: string;
  name: string;
}

export interface LedgerEntry {
  id: string;
  delta: number;
  balanceAfter: number;
  reason: string;
  createdAt: string;
  expiresAt?: string;
  source?: string;
}

export interface Purchase {
  id: string;
  orderNo: string;
  amountFen: number;
  storeId: string;
  pointsEarned?: number;
  status?: string;
  createdAt: string;
}

export interface Signup {
  id: string;
  activityId: string;
  status: 'confirmed' | 'waitlisted' | 'pending_payment' | 'cancelled' | 'attended';
  waitlistPosition?: number;
  createdAt?: string;
  memberId?: string;
  member?: { id: string; cardNo?: string; name?: string; phone?: string };
  activityTitle?: string;
}

export interface AuditEntry {
  id: string;
  actorId: string;
  actorName?: string;
  actorRole?: string;
  action: string;
  storeId?: string | null;
  targetType?: string;
  targetId?: string;
  before?: unknown;
  after?: unknown;
  createdAt: string;
}

export type Segment = {
  tiers?: string[];
  homeStoreIds?: string[];
  joinedAfter?: string;
  joinedBefore?: string;
  birthdayMonth?: number;
  minPointsBalance?: number;
  minSpendFen12m?: number;
  purchasedWithinDays?: number;
  notPurchasedWithinDays?: number;
  profileComplete?: boolean;
  tags?: string[];
};

export interface SavedSegment {
  id: string;
  name: string;
  segment: Segment;
  createdAt?: string;
}

export type CampaignStatus = 'draft' | 'running' | 'paused' | 'completed' | 'failed';

export interface CampaignProgress {
  targeted: number;
  issued: number;
  notified: number;
  failed: number;
}

export interface BreakdownRow {
  key: string;
  name?: string;
  targeted?: number;
  issued: number;
  redeemed: number;
}

export interface Campaign {
  id: string;
  name: string;
  templateId: string;
  segment: Segment;
  message?: string;
  status: CampaignStatus;
  progress: CampaignProgress;
  stats: {
    redeemed: number;
    redemptionRate: number;
    /** console extension */
    orderAmountFen?: number;
    /** console extension: per store (key = storeId) and per tier (key = tier code) */
    byStore?: BreakdownRow[];
    byTier?: BreakdownRow[];
  };
  /** console extension */
  createdAt?: string;
  launchedAt?: string;
  finishedAt?: string;
}

export interface CodeBatch {
  id: string;
  count: number;
  templateId?: string;
  points?: number;
  expiresAt: string;
  createdAt?: string;
  claimedCount?: number;
}

export interface AutomationRule {
  id: string;
  /** e.g. birthday, welcome, points_expiry, win_back */
  kind: string;
  name: string;
  enabled: boolean;
  templateId?: string | null;
  points?: number | null;
  message?: string | null;
  /** Rule-specific numbers, e.g. {daysBefore: 7} */
  params?: Record<string, number>;
  sentCount?: number;
  lastRunAt?: string | null;
}

export interface Store {
  id: string;
  code?: string;
  name: string;
  city?: string;
  address?: string;
  active?: boolean;
}

export interface StaffAccount {
  id: string;
  username: string;
  name: string;
  role: 'clerk' | 'manager';
  storeId: string;
  active?: boolean;
}

export interface AdminMe {
  id: string;
  name: string;
  role: string;
  storeId?: string | null;
}

/** GET /admin/dashboard (console-defined shape; see README). */
export interface Dashboard {
  asOf: string;
  storeId?: string | null;
  members: { total: number; newLast30Days: number; activeLast30Days: number };
  growth: Array<{ month: string; joined: number; total: number }>;
  pointsLiability: { points: number; expiringIn30Days?: number };
  tierDistribution: Array<{ code: string; name: string; count: number }>;
  spendPareto: Array<{ memberShare: number; spendShare: number }>;
  campaignRedemption: Array<{ campaignId: string; name: string; issued: number; redeemed: number; redemptionRate: number }>;
}
