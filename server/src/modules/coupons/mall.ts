import type { PointsExchangeAnswer } from '@membercard/shared';
import type mongoose from 'mongoose';
import { Types } from 'mongoose';
import { ErrorCode } from '@membercard/shared';
import { AppError, errors } from '../../lib/errors';
import type { MemberDoc, memberModel } from '../members/model';
import { inTransaction } from '../../lib/transactions';
import type { PointsLedger } from '../points/ledger';
import type { CouponIssuer, UnitAdmission } from './issuer';
import type { CouponTemplateDoc, couponTemplateModel } from './model';
import { couponView } from './service';

// The points mall (积分兑换): the points spend and the coupon issue are one transaction, so a member never
// pays without getting the coupon nor gets it without paying, even if the process dies between the two.
// Both writes are keyed by the exchange's Idempotency-Key (ledger entry key, coupon channelRef), so a retry
// after a crash or a lost answer books nothing twice. The template's unit is taken before that transaction by
// the issuer's one conditional update (CouponIssuer.issueWith), not inside it, so a flash drop's exchanges
// never conflict on the template; that update also checks the template is in the mall at a price the member's
// balance covers, so nothing reads the template first. An exchange that fails after taking the unit (the
// spend refused, a crash of the transaction) gives it back.

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

  /**
   * The drop's gate for an exchange (CouponIssuer.admit): the refusal exchange() would answer when this instance
   * saw the template sold out (or archived, ended) within the last second, or leave to try. Asked before the
   * member is read: a known refusal is the template's, whatever the balance (a price above it is found by the
   * exchange's own update once let in).
   */
  admit(templateId: string): Promise<UnitAdmission | null> {
    if (!Types.ObjectId.isValid(templateId)) return Promise.resolve(null);
    return this.deps.issuer.admit(templateId, this.refusal(null));
  }

  /** Why the mall's update took no unit, judged on the template's terms (null: the template's own reason); `balance` null: not known. */
  private refusal(balance: number | null) {
    return (template: CouponTemplateDoc | null): AppError | null => {
      if (!template?.pointsCost) return errors.notFound('No such coupon in the points mall.');
      if (balance !== null && template.pointsCost > balance) {
        return new AppError(ErrorCode.INSUFFICIENT_POINTS, 'Not enough points for this coupon.', { balance, needed: template.pointsCost });
      }
      return null;
    };
  }

  /**
   * `member`: the member as the member route's check read it in this request (its balance decides whether it
   * may take a unit); read here when not given.
   */
  async exchange(memberId: string, templateId: string, key: string, member?: Pick<MemberDoc, 'pointsBalance'>): Promise<PointsExchangeAnswer> {
    const { connection, members, ledger, issuer } = this.deps;
    const notExchangeable = () => errors.notFound('No such coupon in the points mall.');
    if (!Types.ObjectId.isValid(templateId)) throw notExchangeable();
    const balance = (member ?? (await members.findById(memberId, { pointsBalance: 1 }).lean<Pick<MemberDoc, 'pointsBalance'>>()))?.pointsBalance ?? 0;
    // The unit is taken only at a price the member can pay, by the update that takes it (no read of the template
    // before it): members who cannot pay never make a drop look sold out to those who can. The spend below still
    // decides, under the ledger's own guard. A retry of an exchange that went through (its points are spent)
    // still answers its coupon (the issuer looks for it before any refusal).
    return issuer.issueWith(
      { templateId, memberId, channel: 'mall', channelRef: key },
      (issueIn, terms) =>
        inTransaction(connection, undefined, async (session) => {
          const pointsCost = terms.pointsCost!;
          const entry = await ledger.spend({
            memberId,
            amount: pointsCost,
            reason: `积分兑换：${terms.title}`,
            source: 'exchange',
            idempotencyKey: `exchange:${memberId}:${key}`,
            session,
          });
          await this.deps.betweenSpendAndIssue?.();
          const { coupon } = await issueIn(session);
          return { coupon: couponView(coupon), pointsSpent: -entry.delta, pointsBalance: entry.balanceAfter };
        }),
      {
        scope: { pointsCost: { $gt: 0, $lte: balance } },
        refusal: this.refusal(balance),
        memberActive: member !== undefined,
      },
    );
  }
}
