import type { PointsExchangeAnswer } from '@membercard/shared';
import type mongoose from 'mongoose';
import { Types } from 'mongoose';
import { errors } from '../../lib/errors';
import { inTransaction } from '../../lib/transactions';
import type { PointsLedger } from '../points/ledger';
import type { CouponIssuer } from './issuer';
import type { CouponTemplateDoc, couponTemplateModel } from './model';
import { couponView } from './service';

// The points mall (积分兑换): the points spend and the coupon issue are one transaction, so a member never
// pays without getting the coupon nor gets it without paying, even if the process dies between the two.
// Both writes are keyed by the exchange's Idempotency-Key (ledger entry key, coupon channelRef), so a retry
// after a crash or a lost answer books nothing twice.

export interface PointsMallDeps {
  connection: mongoose.Connection;
  templates: ReturnType<typeof couponTemplateModel>;
  ledger: PointsLedger;
  issuer: CouponIssuer;
  /** Test-only: runs between the spend and the issue, to prove a failure there leaves nothing behind. */
  betweenSpendAndIssue?: () => Promise<void>;
}

export class PointsMall {
  constructor(readonly deps: PointsMallDeps) {}

  async exchange(memberId: string, templateId: string, key: string): Promise<PointsExchangeAnswer> {
    const { connection, templates, ledger, issuer } = this.deps;
    const notExchangeable = () => errors.notFound('No such coupon in the points mall.');
    if (!Types.ObjectId.isValid(templateId)) throw notExchangeable();
    return inTransaction(connection, undefined, async (session) => {
      const template = await templates.findOne({ _id: templateId, pointsCost: { $ne: null } }).session(session).lean<CouponTemplateDoc>();
      if (!template?.pointsCost) throw notExchangeable();
      const entry = await ledger.spend({
        memberId,
        amount: template.pointsCost,
        reason: `积分兑换：${template.title}`,
        source: 'exchange',
        idempotencyKey: `exchange:${memberId}:${key}`,
        session,
      });
      await this.deps.betweenSpendAndIssue?.();
      const { coupon } = await issuer.issue({ templateId, memberId, channel: 'mall', channelRef: key, session });
      return { coupon: couponView(coupon), pointsSpent: -entry.delta, pointsBalance: entry.balanceAfter };
    });
  }
}
