import type { Services } from '../services';

// Every background job of the product, in one list. The scheduler (scheduler.ts) runs each on its
// schedule on exactly one instance at a time; `npm run job -- <name>` runs one by hand. A job's `run`
// must be safe to repeat (each does its work through conditional updates or unique keys), because a
// job interrupted by a crash is run again.

/** What the scheduler hands a running job. */
export interface JobContext {
  /** Extends this run's lock; a job working through batches calls it between batches. */
  touch(): Promise<void>;
}

export interface JobDefinition {
  name: string;
  /** How often it runs: an interval ('5 minutes', '1 day') or a cron line read in China time ('0 3 1 1 *'). */
  every: string;
  description: string;
  run(services: Services, context?: JobContext): Promise<{ processed: number }>;
}

export const JOBS: JobDefinition[] = [
  {
    name: 'offer-runs',
    every: '1 minute',
    description: 'Personalised offer runs: a scheduled run starts when its period has come (once per period), and running runs whose worker stopped or died (lease lapsed) are continued from their last finished chunk.',
    run: (services) => services.offers.runDue(),
  },
  {
    name: 'top-members',
    every: '0 4 * * *',
    description: 'Daily at 04:00 (China time): the top 20% of members by 12-month spend, brand-wide and per home store, are tagged (全品牌前20% / 本店前20%), and members who dropped out untagged.',
    run: (services) => services.topMembers.refresh(),
  },
  {
    name: 'referral-rewards',
    every: '1 minute',
    description: 'Referrals whose friend made a qualifying first purchase and were not granted yet (or still owe a coupon) are granted, each once.',
    run: (services) => services.referral.grantDue(),
  },
  {
    name: 'member-name-keys',
    every: '10 minutes',
    description: 'Members whose name was written without its search key (a bulk load, data from before the key) get it, so name-prefix search finds them.',
    run: (services) => services.membersAdmin.backfillNameKeys(),
  },
  {
    name: 'member-rollups',
    every: '1 minute',
    description: 'Members changed since the last run are folded into the dashboard’s figures by store and tier (each change once, in one transaction with the mark).',
    run: (services, context) => services.memberRollups.catchUp({ touch: context?.touch }),
  },
  {
    name: 'campaign-rollups',
    every: '1 minute',
    description: 'Audience records, purchases and redemptions (made or reversed) since the last run are folded into each campaign’s outcome by home store, tier and group (each change once, in one transaction with the mark).',
    run: (services, context) => services.campaignRollups.catchUp({ touch: context?.touch }),
  },
  {
    name: 'report-days',
    every: '10 minutes',
    description: 'Each finished China day’s figures per store are worked out once and kept for the reports (the day before the last closed one is worked again).',
    run: (services) => services.reports.closeDays(),
  },
  {
    name: 'coupon-expiry',
    every: '10 minutes',
    description: 'Issued coupons past their validUntil become expired.',
    run: (services) => services.coupons.expireDue(),
  },
  {
    name: 'activity-payment-holds',
    every: '1 minute',
    description: 'Paid seats unpaid after 15 minutes: the WeChat Pay order is closed and the seat goes to the waitlist.',
    run: (services) => services.activities.releaseExpiredHolds(),
  },
  {
    name: 'activity-waiting-seats',
    every: '1 minute',
    description: 'A seat given back while a sign-up was still joining the waitlist found nobody waiting: it goes to the first in line.',
    run: (services) => services.activities.fillWaitingSeats(),
  },
  {
    name: 'stored-value-topup-holds',
    every: '1 minute',
    description: 'Stored-value top-ups unpaid after 15 minutes: the WeChat Pay order is closed and the room under the caps given back; paid top-ups get their rule’s coupon.',
    run: (services) => services.storedValueTopups.closeExpired(),
  },
  {
    name: 'wechat-pay-settle',
    every: '1 minute',
    description: 'Payments whose notification never came are queried and settled; failed closes and refunds are retried.',
    run: (services) => services.payments.settleStalePayments(),
  },
  {
    name: 'wechat-wallet-sync',
    every: '1 minute',
    description: 'WeChat wallet coupons (商家券): stocks brought in step with their templates; coupons used at our counter, reversed, revoked or expired here told to WeChat (use, return, deactivate), retried with back-off.',
    run: (services) => services.walletCoupons.runSync(),
  },
  {
    name: 'points-expiry',
    every: '15 minutes',
    description: 'What is left of each lot past its expiry becomes an expiry entry (balance, lot and ledger in one transaction).',
    run: async (services, context) => ({ processed: await services.pointsExpiry.expireDue({ touch: context?.touch }) }),
  },
  {
    name: 'points-expiry-warnings',
    every: '1 day',
    description: 'Points due to expire within 30 days are recorded, one record per member per expiry date, for the expiry notice.',
    run: async (services) => ({ processed: await services.pointsExpiry.recordWarnings(30) }),
  },
  {
    name: 'spend-window',
    every: '1 hour',
    description: 'Purchases older than 12 months leave the members’ qualifying spend (spend12mFen).',
    run: async (services, context) => ({ processed: await services.purchases.ageOutSpend({ touch: context?.touch }) }),
  },
  {
    name: 'tier-review',
    every: '0 3 1 1 *',
    description: 'The yearly tier review at 03:00 on 1 January (China time): each member gets the tier their trailing spend earns, at most one tier down.',
    run: async (services, context) => ({ processed: await services.tiers.review({ touch: context?.touch }) }),
  },
  {
    name: 'campaign-launch',
    every: '1 minute',
    description: 'Scheduled campaigns whose launch time has come are launched, each once however many instances run this.',
    run: (services) => services.campaigns.launchDue(),
  },
  {
    name: 'campaign-push',
    every: '1 minute',
    description: 'Running campaign pushes whose worker stopped or died (lease lapsed) are taken over and continued from their resume point.',
    run: (services) => services.campaigns.pusher.runDue(),
  },
  {
    name: 'automation-rules',
    every: '1 hour',
    description: 'Enabled automation rules (welcome, birthday, points expiry, win-back, tier upgrade) fire once per member per occurrence.',
    run: (services) => services.automation.runDue(),
  },
  {
    name: 'subscribe-notices',
    every: '1 minute',
    description: 'Notices other modules recorded for members (an activity cancelled, a waitlist seat free) go out as subscribe messages.',
    run: (services) => services.notices.sendDue(),
  },
  {
    name: 'activity-reminders',
    every: '5 minutes',
    description: 'Members who tapped “开始前提醒我” get the reminder once per sign-up, shortly before the activity starts (ACTIVITY_REMINDER_LEAD_MINUTES, default 2 hours).',
    run: (services) => services.reminders.sendDue(),
  },
  {
    name: 'subscribe-retries',
    every: '1 minute',
    description: 'Queued service notices whose kick after their transaction’s commit never came (the process stopped) are sent, each once; subscribe messages WeChat was too busy for (-1, rate limits, unreachable) are sent again once their backoff wait is over.',
    run: async (services) => {
      const queued = await services.messaging.deliverQueued();
      const retried = await services.messaging.retryDue();
      return { processed: queued.processed + retried.processed };
    },
  },
  {
    name: 'webhooks',
    every: '30 seconds',
    description: 'Webhook deliveries that are due (a retry after its backoff, or one whose kick after commit was lost) are sent, each member’s events to an endpoint in order.',
    run: (services) => services.webhooks.runDue(),
  },
  {
    name: 'wechat-member-card',
    every: '1 minute',
    description: 'WeChat member cards show what the member has: members changed since the mark whose card differs get one updateuser each (points total, tier, tier art), within the per-minute budget; refusals back off and HQ can retry; half-done activations are finished.',
    run: (services, context) => services.memberCardSync.runDue({ touch: context?.touch }),
  },
];
