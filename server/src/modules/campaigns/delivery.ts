import { chinaIsoDate, ErrorCode } from '@membercard/shared';
import type { Types } from 'mongoose';
import { AppError } from '../../lib/errors';
import type { CouponIssuer } from '../coupons/issuer';
import type { CouponDoc } from '../coupons/model';
import type { MessagingService, TemplatePurpose } from '../messaging/service';

// The push machinery campaigns and automation rules share: give one member the coupon (through the one
// issuer, keyed by channel and channelRef, so a repeat answers the coupon already issued) and then, if the
// push has copy, one subscribe message keyed by `messageKey` (sent at most once).

export interface Recipient {
  _id: Types.ObjectId;
  homeStoreId?: string | null;
}

export interface DeliveryPlan {
  /** The coupon template to issue; null sends only the message. */
  templateId: Types.ObjectId | null;
  channel: 'campaign' | 'automation';
  channelRef: string;
  message: {
    key: string;
    purpose: TemplatePurpose;
    marketing: boolean;
    /** The template's data for this member and the coupon just issued (if any). */
    data: (coupon: CouponDoc | null) => Record<string, { value: string }>;
  } | null;
}

export interface DeliveryResult {
  /** The member holds this push's coupon (issued now or by an earlier run). */
  issued: boolean;
  /** The message went out (now or by an earlier run). */
  notified: boolean;
  /** Why the coupon could not be issued: the refusal's code. */
  refusal: ErrorCode | null;
}

/** Refusals that end a whole push: no member can get the coupon any more. */
export const PUSH_ENDING_REFUSALS = new Set<ErrorCode>([ErrorCode.TEMPLATE_EXHAUSTED, ErrorCode.TEMPLATE_ARCHIVED, ErrorCode.COUPON_EXPIRED]);

export class PushDelivery {
  constructor(
    private readonly issuer: CouponIssuer,
    private readonly messaging: MessagingService,
  ) {}

  async deliver(recipient: Recipient, plan: DeliveryPlan): Promise<DeliveryResult> {
    let coupon: CouponDoc | null = null;
    if (plan.templateId) {
      try {
        ({ coupon } = await this.issuer.issue({ templateId: plan.templateId, memberId: recipient._id, channel: plan.channel, channelRef: plan.channelRef }));
      } catch (err) {
        if (err instanceof AppError) return { issued: false, notified: false, refusal: err.code };
        throw err;
      }
    }
    let notified = false;
    if (plan.message) {
      const outcome = await this.messaging.send({
        key: plan.message.key,
        memberId: recipient._id,
        purpose: plan.message.purpose,
        marketing: plan.message.marketing,
        data: plan.message.data(coupon),
        page: coupon ? `pages/coupons/detail?id=${String(coupon._id)}` : undefined,
      });
      notified = outcome.status === 'sent';
    }
    return { issued: coupon !== null, notified, refusal: null };
  }
}

/** The coupon-arrival template's data: coupon title, the push's copy, valid-until date. */
export function couponArrivalData(coupon: CouponDoc | null, copy: string): Record<string, { value: string }> {
  return {
    thing1: { value: (coupon?.title ?? '会员礼遇').slice(0, 20) },
    thing2: { value: copy.slice(0, 20) },
    ...(coupon ? { date3: { value: chinaIsoDate(coupon.validUntil) } } : {}),
  };
}
