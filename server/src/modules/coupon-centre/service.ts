import type { CouponCentre, CouponCentreClaimAnswer, JoinGift } from '@membercard/shared';
import { Types } from 'mongoose';
import { errors } from '../../lib/errors';
import type { AutomationService } from '../automation/service';
import type { CouponIssuer, UnitAdmission } from '../coupons/issuer';
import type { CouponDoc, CouponTemplateDoc, couponModel, couponTemplateModel } from '../coupons/model';
import { couponView, templateView } from '../coupons/service';

// The coupon centre (领券中心): templates HQ marks `inCouponCentre`, claimed for free one tap at a time. A claim is
// the issuer's single issue (the unit taken by one conditional $inc outside any transaction, the per-member limit
// kept by the coupons' (template, member, slot) index), keyed by the request's Idempotency-Key as channelRef, so a
// retry answers the same coupon and a flash drop never over-issues. Also the join page's gift pack (入会礼), which is
// what the welcome automation rule gives on joining (coupon and points): read from that rule, not configured a second time.

/** A template not in the centre answers like a missing one: members cannot claim arbitrary templates by id. */
const notInCentre = () => errors.notFound('No such coupon in the coupon centre.');
const centreRefusal = (template: CouponTemplateDoc | null) => (template?.inCouponCentre ? null : notInCentre());

/** How many centre templates the list shows at most (HQ runs a handful at once). */
const CENTRE_LIMIT = 50;

interface Deps {
  templates: ReturnType<typeof couponTemplateModel>;
  coupons: ReturnType<typeof couponModel>;
  issuer: CouponIssuer;
  automation: AutomationService;
  now: () => Date;
}

export class CouponCentreService {
  constructor(private readonly deps: Deps) {}

  /** Claimable templates with stock left and, for the caller, how many they hold and may still claim. */
  async list(memberId: string): Promise<CouponCentre> {
    const at = this.deps.now();
    const templates = await this.deps.templates
      .find({ inCouponCentre: true, status: 'active', remaining: { $gt: 0 }, $or: [{ validUntil: null }, { validUntil: { $gt: at } }] })
      .sort({ createdAt: -1, _id: -1 })
      .limit(CENTRE_LIMIT)
      .lean<CouponTemplateDoc[]>();
    const held = templates.length
      ? await this.deps.coupons
          .find({ memberId: new Types.ObjectId(memberId), templateId: { $in: templates.map((t) => t._id) } }, { templateId: 1 })
          .lean<Array<Pick<CouponDoc, 'templateId'>>>()
      : [];
    const heldBy = new Map<string, number>();
    for (const c of held) heldBy.set(String(c.templateId), (heldBy.get(String(c.templateId)) ?? 0) + 1);
    return {
      items: templates.map((t) => {
        const claimedByMe = heldBy.get(String(t._id)) ?? 0;
        return { ...templateView(t), remaining: t.remaining, claimedByMe, myAllowance: Math.max(0, Math.min(t.perMemberLimit - claimedByMe, t.remaining)) };
      }),
    };
  }

  /**
   * One coupon of a centre template, once per Idempotency-Key; TEMPLATE_EXHAUSTED when sold out, COUPON_LIMIT_REACHED
   * at the limit. The unit's update also checks the template is in the centre (nothing reads it first);
   * `memberActive`: the member route's check read the member as active in this request.
   */
  async claim(memberId: string, templateId: string, key: string, memberActive = false): Promise<CouponCentreClaimAnswer> {
    if (!Types.ObjectId.isValid(templateId)) throw notInCentre();
    const { coupon, created } = await this.deps.issuer.issue(
      { templateId, memberId, channel: 'centre', channelRef: key },
      { scope: { inCouponCentre: true }, refusal: centreRefusal, memberActive },
    );
    return { coupon: couponView(coupon), created };
  }

  /** The drop's gate for a claim (CouponIssuer.admit): the refusal claim() would answer when already known, or leave to try. */
  admit(templateId: string): Promise<UnitAdmission | null> {
    if (!Types.ObjectId.isValid(templateId)) return Promise.resolve(null);
    return this.deps.issuer.admit(templateId, centreRefusal);
  }

  /** The join page's gift pack: the welcome rule's points, and its coupon while the template can still be issued. */
  async joinGift(): Promise<JoinGift> {
    const rule = await this.deps.automation.get('welcome');
    if (!rule.enabled) return { coupons: [], points: 0 };
    const points = rule.points;
    const template = rule.templateId
      ? await this.deps.templates.findOne({ _id: rule.templateId, status: 'active', remaining: { $gt: 0 } }).lean<CouponTemplateDoc>()
      : null;
    if (!template) return { coupons: [], points };
    const view = templateView(template);
    return {
      points,
      coupons: [
        {
          id: view.id, title: view.title, type: view.type, minSpendFen: view.minSpendFen, amountOffFen: view.amountOffFen, percentOff: view.percentOff,
          maxOffFen: view.maxOffFen, giftName: view.giftName, validDays: view.validDays, validUntil: view.validUntil,
        },
      ],
    };
  }
}
