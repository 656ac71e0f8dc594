import type { PointsExchangeAnswer } from '@membercard/shared';
import type mongoose from 'mongoose';
import { Types } from 'mongoose';
import { ErrorCode } from '@membercard/shared';
import { AppError, errors } from '../../lib/errors';
import type { MemberDoc, memberModel } from '../members/model';
import { inTransaction } from '../../lib/transactions';
import type { PointsLedger } from '../points/ledger';
import type { CouponIssuer } from './issuer';
import type { CouponTemplateDoc, couponTemplateModel } from './model';
import { couponView } from './service';

// The points mall (积分兑换): the points spend and the coupon issue are one transaction, so a member never
// pays without getting the coupon nor gets it without paying, even if the process dies between the two.
// Both writes are keyed by the exchange's Idempotency-Key (ledger entry key, coupon channelRef), so a retry
// after a crash or a lost answer books nothing twice. The template's unit is taken before that transaction by
// the issuer's one conditional update (CouponIssuer.issueWith), not inside it, so a flash drop's exchanges
// never conflict on the template; an exchange that fails after taking it (too few points, a crash of the
// transaction) gives it back.

export interface PointsMallDeps {
  connection: mongoose.Connection;
  templates: ReturnType<typeof couponTemplateModel>;
  members: ReturnType<typeof memberModel>;
  ledger: PointsLedger;
  issuer: CouponIssuer;
  /** Test-only: runs between the spend and the issue, to prove a failure there leaves nothing behind. */
  betweenSpendAndIssue?: () => Promise<void>;
}

export class PointsMall {
  constructor(readonly deps: PointsMallDeps) {}

  async exchange(memberId: string, templateId: string, key: string): Promise<PointsExchangeAnswer> {
    const { connection, templates, members, ledger, issuer } = this.deps;
    const notExchangeable = () => errors.notFound('No such coupon in the points mall.');
    if (!Types.ObjectId.isValid(templateId)) throw notExchangeable();
    const [template, member] = await Promise.all([
      templates.findOne({ _id: templateId, pointsCost: { $ne: null } }, { title: 1, pointsCost: 1, status: 1, validUntil: 1 }).lean<CouponTemplateDoc>(),
      members.findById(memberId, { pointsBalance: 1 }).lean<Pick<MemberDoc, 'pointsBalance'>>(),
    ]);
    if (!template?.pointsCost) throw notExchangeable();
    const pointsCost = template.pointsCost;
    // Too few points is refused before a unit is taken, so members who cannot pay never make a drop look sold
    // out to those who can (the spend below still decides, under the ledger's own guard).
    // A retry of an exchange that went through (its points are spent) still answers its coupon.
    if ((!member || member.pointsBalance < pointsCost) && !(await issuer.issued({ templateId, memberId, channel: 'mall', channelRef: key }))) {
      throw new AppError(ErrorCode.INSUFFICIENT_POINTS, 'Not enough points for this coupon.', { balance: member?.pointsBalance ?? 0, needed: pointsCost });
    }
    return issuer.issueWith({ templateId, memberId, channel: 'mall', channelRef: key }, (issueIn) =>
      inTransaction(connection, undefined, async (session) => {
        const entry = await ledger.spend({
          memberId,
          amount: pointsCost,
          reason: `积分兑换：${template.title}`,
          source: 'exchange',
          idempotencyKey: `exchange:${memberId}:${key}`,
          session,
        });
        await this.deps.betweenSpendAndIssue?.();
        const { coupon } = await issueIn(session);
        return { coupon: couponView(coupon), pointsSpent: -entry.delta, pointsBalance: entry.balanceAfter };
      }),
      template,
    );
  }
}
