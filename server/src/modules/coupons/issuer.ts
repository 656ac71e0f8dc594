import { couponValidity, ErrorCode } from '@membercard/shared';
import type mongoose from 'mongoose';
import { Types, type ClientSession } from 'mongoose';
import { AppError, errors, isDuplicateKeyError } from '../../lib/errors';
import { inTransaction } from '../../lib/transactions';
import type { memberModel } from '../members/model';
import type {
  CouponDoc,
  CouponTemplateDoc,
  IssueChannel,
  couponModel,
  couponTemplateModel,
  memberTemplateCountModel,
} from './model';

// The one way a coupon comes into existence, whatever the channel (campaign push, points mall, redemption
// code, automation, HQ grant). One transaction takes a unit of the template's quantity (conditional $inc on
// `remaining > 0`), counts the member's holding of the template (a per-(template, member) counter guarded by
// `count < perMemberLimit` → else COUPON_LIMIT_REACHED) and
// inserts the coupon under the unique key (template, channel, channelRef, member). Any refusal or crash
// rolls all three back, so quantity and limits hold under any concurrency, and the same campaign, exchange,
// claim or grant asked twice answers the coupon it already issued.

export interface IssueRequest {
  templateId: string | Types.ObjectId;
  memberId: string | Types.ObjectId;
  channel: IssueChannel;
  /** What within the channel issues it: campaign id, exchange key, redemption code, automation run, grant key. */
  channelRef: string;
  /** The caller's transaction, so the issue commits or aborts with the caller's other writes. */
  session?: ClientSession;
}

export interface IssueResult {
  coupon: CouponDoc;
  /** False when this (template, channel, channelRef, member) had already issued the coupon. */
  created: boolean;
}

interface Deps {
  connection: mongoose.Connection;
  templates: ReturnType<typeof couponTemplateModel>;
  coupons: ReturnType<typeof couponModel>;
  counts: ReturnType<typeof memberTemplateCountModel>;
  members: ReturnType<typeof memberModel>;
  now: () => Date;
}

export class CouponIssuer {
  constructor(private readonly deps: Deps) {}

  async issue(request: IssueRequest): Promise<IssueResult> {
    if (!Types.ObjectId.isValid(request.templateId)) throw errors.notFound('No such coupon template.');
    if (!Types.ObjectId.isValid(request.memberId)) throw errors.notFound('No such member.');
    const key = {
      templateId: new Types.ObjectId(request.templateId),
      channel: request.channel,
      channelRef: request.channelRef,
      memberId: new Types.ObjectId(request.memberId),
    };
    try {
      return await inTransaction(this.deps.connection, request.session, (session) => this.issueIn(key, session));
    } catch (err) {
      // A parallel call with the same key won the insert; this one's counters were rolled back with it.
      if (!request.session && isDuplicateKeyError(err)) {
        const existing = await this.deps.coupons.findOne(key).lean<CouponDoc>();
        if (existing) return { coupon: existing, created: false };
      }
      throw err;
    }
  }

  private async issueIn(
    key: { templateId: Types.ObjectId; channel: IssueChannel; channelRef: string; memberId: Types.ObjectId },
    session: ClientSession,
  ): Promise<IssueResult> {
    const { templates, coupons, members, now } = this.deps;
    const existing = await coupons.findOne(key).session(session).lean<CouponDoc>();
    if (existing) return { coupon: existing, created: false };
    const member = await members.findOne({ _id: key.memberId, status: 'active' }, { _id: 1 }).session(session).lean();
    if (!member) throw errors.notFound('No such member.');

    const at = now();
    const template = await templates
      .findOneAndUpdate(
        { _id: key.templateId, status: 'active', remaining: { $gt: 0 } },
        { $inc: { issuedCount: 1, remaining: -1 } },
        { returnDocument: 'after', session },
      )
      .lean<CouponTemplateDoc>();
    if (!template) throw await this.refusalFor(key.templateId, session);
    if (template.validUntil && template.validUntil.getTime() <= at.getTime()) {
      throw new AppError(ErrorCode.COUPON_EXPIRED, 'This coupon template’s validity has already ended.');
    }

    await this.countTowardsLimit(`${String(key.templateId)}:${String(key.memberId)}`, template.perMemberLimit, session);

    const validity = couponValidity(
      { validFrom: template.validFrom ?? undefined, validUntil: template.validUntil ?? undefined, validDays: template.validDays ?? undefined },
      at,
    );
    const [coupon] = await coupons.create(
      [
        {
          ...key,
          title: template.title,
          type: template.type,
          minSpendFen: template.minSpendFen ?? null,
          amountOffFen: template.amountOffFen ?? null,
          percentOff: template.percentOff ?? null,
          maxOffFen: template.maxOffFen ?? null,
          giftName: template.giftName ?? null,
          storeIds: template.storeIds,
          tiers: template.tiers,
          status: 'issued',
          validFrom: validity.validFrom,
          validUntil: validity.validUntil,
          issuedAt: at,
        },
      ],
      { session },
    );
    return { coupon: coupon!.toObject() as CouponDoc, created: true };
  }

  /**
   * One more of the template for the member, refused at the limit: a conditional $inc on the member's counter,
   * or, for their first one, the counter's insert. An insert that collides means the counter exists at the limit
   * (a parallel first insert surfaces as a write conflict instead, and the transaction is retried).
   */
  private async countTowardsLimit(counterId: string, perMemberLimit: number, session: ClientSession): Promise<void> {
    const { counts } = this.deps;
    const counted = await counts.updateOne({ _id: counterId, count: { $lt: perMemberLimit } }, { $inc: { count: 1 } }, { session });
    if (counted.matchedCount === 1) return;
    try {
      await counts.create([{ _id: counterId, count: 1 }], { session });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      throw new AppError(ErrorCode.COUPON_LIMIT_REACHED, `A member may hold at most ${perMemberLimit} of this coupon.`, { perMemberLimit });
    }
  }

  /** Why the quantity guard matched nothing: no template, archived, or none left. */
  private async refusalFor(templateId: Types.ObjectId, session: ClientSession): Promise<AppError> {
    const template = await this.deps.templates.findById(templateId, { status: 1, remaining: 1 }).session(session).lean<CouponTemplateDoc>();
    if (!template) return errors.notFound('No such coupon template.');
    if (template.status === 'archived') return new AppError(ErrorCode.TEMPLATE_ARCHIVED, 'This coupon template is archived.');
    return new AppError(ErrorCode.TEMPLATE_EXHAUSTED, 'Every coupon of this template has been issued.');
  }
}
