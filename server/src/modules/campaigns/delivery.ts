import { ErrorCode } from '@membercard/shared';
import type { Types } from 'mongoose';
import { AppError } from '../../lib/errors';
import type { CouponIssuer } from '../coupons/issuer';
import type { CouponDoc } from '../coupons/model';
import type { MessageFields, MessagingService, TemplatePurpose } from '../messaging/service';

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
    /** The message's fields for this member and the coupon just issued (if any); the messaging module formats them for the template. */
    fields: (coupon: CouponDoc | null) => MessageFields;
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
    const notified = plan.message ? await this.notify(recipient, plan.message, coupon) : false;
    return { issued: coupon !== null, notified, refusal: null };
  }

  /**
   * Many members at once (distinct, in walking order): the coupons through the issuer's batch path under
   * `batchKey` (a re-run with the same key after a crash resumes it), then the members' messages, a few at a time
   * (each is a WeChat API call, and members' quotas and caps are their own). Answers one result per recipient up to
   * and including the first push-ending refusal; nobody after it is messaged.
   */
  async deliverBatch(
    recipients: Recipient[],
    plan: Omit<DeliveryPlan, 'templateId' | 'message'> & {
      templateId: Types.ObjectId;
      batchKey: string;
      message: (recipient: Recipient) => DeliveryPlan['message'];
      onReserved?: () => void;
    },
  ): Promise<DeliveryResult[]> {
    const outcomes = await this.issuer.issueBatch({
      templateId: plan.templateId, channel: plan.channel, channelRef: plan.channelRef, batchKey: plan.batchKey, memberIds: recipients.map((r) => r._id), onReserved: plan.onReserved,
    });
    const results: DeliveryResult[] = [];
    const sends: Array<() => Promise<void>> = [];
    for (const [i, recipient] of recipients.entries()) {
      const { coupon, refusal } = outcomes[i]!;
      if (refusal) {
        results.push({ issued: false, notified: false, refusal });
        if (PUSH_ENDING_REFUSALS.has(refusal)) break;
        continue;
      }
      const result: DeliveryResult = { issued: true, notified: false, refusal: null };
      results.push(result);
      const message = plan.message(recipient);
      if (message) sends.push(async () => void (result.notified = await this.notify(recipient, message, coupon)));
    }
    await inParallel(sends, MESSAGES_IN_PARALLEL);
    return results;
  }

  private async notify(recipient: Recipient, message: NonNullable<DeliveryPlan['message']>, coupon: CouponDoc | null): Promise<boolean> {
    const outcome = await this.messaging.send({
      key: message.key,
      memberId: recipient._id,
      purpose: message.purpose,
      marketing: message.marketing,
      fields: message.fields(coupon),
      page: coupon ? `pages/coupons/detail?id=${String(coupon._id)}` : undefined,
    });
    return outcome.status === 'sent';
  }
}

/** Messages a batch sends at once: enough to hide the API's latency, few enough not to flood it. */
const MESSAGES_IN_PARALLEL = 8;

/** Runs the tasks, at most `limit` at a time; all of them run, and then the first failure (if any) is thrown. */
async function inParallel(tasks: Array<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | null = null;
  const lane = async () => {
    while (next < tasks.length) {
      const task = tasks[next++]!;
      await task().catch((err: unknown) => void (failure ??= { err }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, lane));
  if (failure) throw (failure as { err: unknown }).err;
}

/** The coupon-arrival fields: the coupon's title and valid-until, and the push's copy as the note. */
export function couponArrivalFields(coupon: CouponDoc | null, copy: string): MessageFields {
  return { couponName: coupon?.title ?? null, validUntil: coupon?.validUntil ?? null, note: copy };
}
