import {
  ErrorCode,
  type Coupon,
  type CouponTemplate,
  type CouponTemplateInput,
  type Page,
} from '@membercard/shared';
import type mongoose from 'mongoose';
import { Types } from 'mongoose';
import { pageBy } from '../../lib/cursor';
import { AppError, errors } from '../../lib/errors';
import type { Actor } from '../../lib/requestContext';
import type { AuditService } from '../audit/service';
import type { MemberDoc } from '../members/model';
import type { MembersService } from '../members/service';
import type { CouponIssuer, UnitAdmission } from './issuer';
import type { storeModel } from '../staff/model';
import type { CouponDoc, CouponTemplateDoc, couponModel, couponTemplateModel, redemptionModel } from './model';

// Coupon templates (HQ), the member's wallet and the expiry of held coupons. Issuing is CouponIssuer's alone.

export type WalletTab = 'available' | 'used' | 'expired';

interface Deps {
  connection: mongoose.Connection;
  templates: ReturnType<typeof couponTemplateModel>;
  coupons: ReturnType<typeof couponModel>;
  issuer: CouponIssuer;
  members: MembersService;
  audit: AuditService;
  now: () => Date;
  /** Step of the coupon QR codes, seconds; the same as the member code's. */
  codeStepSeconds?: number;
  /** For the wallet's used tab: where each coupon was redeemed. */
  redemptions?: ReturnType<typeof redemptionModel>;
  stores?: ReturnType<typeof storeModel>;
}

export class CouponsService {
  constructor(private readonly deps: Deps) {}

  // ---- templates (HQ) ----

  async createTemplate(actor: Actor, requestId: string, input: CouponTemplateInput): Promise<CouponTemplate> {
    const at = this.deps.now();
    const [created] = await this.deps.templates.create([
      { ...templateFields(input), status: 'active', issuedCount: 0, remaining: input.totalQuantity, createdAt: at, updatedAt: at },
    ]);
    const answer = templateView(created!.toObject() as CouponTemplateDoc);
    await this.deps.audit.record(actor, requestId, { action: 'coupon_template.create', targetType: 'coupon_template', targetId: answer.id, after: answer });
    return answer;
  }

  async listTemplates(filter: { status?: 'active' | 'archived'; exchangeable?: boolean }, limit: number, cursor?: string): Promise<Page<CouponTemplate>> {
    const query: Record<string, unknown> = {};
    if (filter.status) query.status = filter.status;
    if (filter.exchangeable) Object.assign(query, { status: 'active', pointsCost: { $ne: null }, remaining: { $gt: 0 } });
    return pageBy(this.deps.templates, query, 'createdAt', limit, cursor, templateView);
  }

  async template(id: string): Promise<CouponTemplate> {
    const found = Types.ObjectId.isValid(id) ? await this.deps.templates.findById(id).lean<CouponTemplateDoc>() : null;
    if (!found) throw errors.notFound('No such coupon template.');
    return templateView(found);
  }

  /** Replaces the terms while nothing is issued: held coupons must keep the terms they were issued under. */
  async updateTemplate(actor: Actor, requestId: string, id: string, input: CouponTemplateInput): Promise<CouponTemplate> {
    const before = await this.template(id);
    const updated = await this.deps.templates
      .findOneAndUpdate(
        { _id: id, status: 'active', issuedCount: 0 },
        { $set: { ...templateFields(input), remaining: input.totalQuantity, updatedAt: this.deps.now() } },
        { returnDocument: 'after' },
      )
      .lean<CouponTemplateDoc>();
    if (!updated) {
      const current = await this.template(id);
      if (current.status === 'archived') throw new AppError(ErrorCode.TEMPLATE_ARCHIVED, 'An archived template cannot be edited.');
      throw new AppError(ErrorCode.CONFLICT, 'Coupons of this template have been issued; its terms can no longer change. Create a new template.', {
        issuedCount: current.issuedCount,
      });
    }
    this.deps.issuer.forgetTerms(id);
    const after = templateView(updated);
    await this.deps.audit.record(actor, requestId, { action: 'coupon_template.update', targetType: 'coupon_template', targetId: id, before, after });
    return after;
  }

  /** Stops further issuing; coupons already held stay valid. Archiving twice changes nothing more. */
  async archiveTemplate(actor: Actor, requestId: string, id: string): Promise<CouponTemplate> {
    const before = await this.template(id);
    if (before.status === 'archived') return before;
    const updated = await this.deps.templates
      .findOneAndUpdate({ _id: id, status: 'active' }, { $set: { status: 'archived', updatedAt: this.deps.now() } }, { returnDocument: 'after' })
      .lean<CouponTemplateDoc>();
    if (!updated) return this.template(id);
    this.deps.issuer.forgetTerms(id);
    const after = templateView(updated);
    await this.deps.audit.record(actor, requestId, { action: 'coupon_template.archive', targetType: 'coupon_template', targetId: id, before, after });
    return after;
  }

  /** HQ's manual grant: one coupon per Idempotency-Key, through the one issuer. */
  /** The drop's gate for a grant (CouponIssuer.admit): the refusal grant() would answer when already known, or leave to try. */
  admitGrant(templateId: string): Promise<UnitAdmission | null> {
    return Types.ObjectId.isValid(templateId) ? this.deps.issuer.admit(templateId) : Promise.resolve(null);
  }

  async grant(actor: Actor, requestId: string, templateId: string, memberId: string, key: string): Promise<Coupon> {
    if (actor.type !== 'admin') throw errors.forbidden();
    const { coupon, created } = await this.deps.issuer.issue({ templateId, memberId, channel: 'grant', channelRef: key });
    if (created) {
      await this.deps.audit.record(actor, requestId, {
        action: 'coupon.grant',
        targetType: 'coupon',
        targetId: String(coupon._id),
        memberId,
        after: { templateId, memberId, couponId: String(coupon._id) },
      });
    }
    return couponView(coupon);
  }

  // ---- the wallet ----

  async listMine(memberId: string, tab: WalletTab | undefined, limit: number, cursor?: string): Promise<Page<Coupon>> {
    const page = await pageBy(this.deps.coupons, { memberId: new Types.ObjectId(memberId), ...this.tabFilter(tab) }, 'issuedAt', limit, cursor, (doc: CouponDoc) => ({
      view: couponView(doc),
      redemptionId: doc.status === 'redeemed' ? doc.redemptionId : null,
    }));
    return { ...page, items: await this.withRedeemingStores(page.items) };
  }

  /** Used coupons say where they were used: two reads per page (redemptions, stores), not per coupon. */
  private async withRedeemingStores(items: Array<{ view: Coupon; redemptionId?: Types.ObjectId | null }>): Promise<Coupon[]> {
    const { redemptions, stores } = this.deps;
    const ids = items.flatMap((item) => (item.redemptionId ? [item.redemptionId] : []));
    if (!redemptions || !stores || ids.length === 0) return items.map((item) => item.view);
    const found = await redemptions.find({ _id: { $in: ids } }, { storeId: 1 }).lean<Array<{ _id: Types.ObjectId; storeId: string }>>();
    const names = await stores.find({ _id: { $in: [...new Set(found.map((r) => r.storeId))] } }, { name: 1 }).lean<Array<{ _id: string; name: string }>>();
    const storeOf = new Map(found.map((r) => [String(r._id), names.find((n) => n._id === r.storeId)?.name ?? r.storeId]));
    return items.map((item) => {
      const name = item.redemptionId ? storeOf.get(String(item.redemptionId)) : undefined;
      return name ? { ...item.view, redeemedStoreName: name } : item.view;
    });
  }

  /** HQ sees any member's coupons; a manager only those of members whose home store is theirs (else 404). */
  async listForAdmin(actor: Actor, memberId: string, tab: WalletTab | undefined, limit: number, cursor?: string): Promise<Page<Coupon>> {
    await this.deps.members.adminView(actor, memberId);
    return this.listMine(memberId, tab, limit, cursor);
  }

  /** Available = issued and not yet past validUntil; a coupon the job has not yet expired already counts as expired. */
  private tabFilter(tab: WalletTab | undefined): Record<string, unknown> {
    const now = this.deps.now();
    switch (tab) {
      case 'available':
        return { status: 'issued', validUntil: { $gt: now } };
      case 'used':
        return { status: 'redeemed' };
      case 'expired':
        return { $or: [{ status: { $in: ['expired', 'revoked'] } }, { status: 'issued', validUntil: { $lte: now } }] };
      default:
        return {};
    }
  }

  async availableCount(memberId: Types.ObjectId): Promise<number> {
    // On every card view: the driver's count (what mongoose's sends, without building a mongoose query).
    return this.deps.coupons.collection.countDocuments({ memberId, ...this.tabFilter('available') });
  }

  /** The in-store QR: signed with the member's code key, so only the owner's phone (or this) can make it. */
  async codeFor(memberId: string, couponId: string, loaded?: MemberDoc): Promise<{ code: string; expiresAt: string }> {
    const coupon = await this.ownCoupon(memberId, couponId);
    if (coupon.status === 'redeemed') throw new AppError(ErrorCode.COUPON_ALREADY_USED, 'This coupon has been used.');
    if (coupon.status !== 'issued' || coupon.validUntil.getTime() <= this.deps.now().getTime()) {
      throw new AppError(ErrorCode.COUPON_EXPIRED, 'This coupon has expired.');
    }
    // The member as this request's authorization read it (`loaded`): read once per request.
    const member = await this.deps.members.current(memberId, loaded);
    return this.deps.members.codeAnswer(member, 'coupon', String(coupon._id));
  }

  private async ownCoupon(memberId: string, couponId: string): Promise<CouponDoc> {
    const coupon = Types.ObjectId.isValid(couponId)
      ? await this.deps.coupons.findOne({ _id: couponId, memberId: new Types.ObjectId(memberId) }).lean<CouponDoc>()
      : null;
    // Another member's coupon answers exactly like a missing one.
    if (!coupon) throw errors.notFound('No such coupon.');
    return coupon;
  }

  /** For the code verifier: whose coupon a scanned code names. */
  /** The coupons a numeric coupon code of this member may name: usable ones, and those used or expired lately (so a rescan says why). */
  async codeCandidates(memberId: Types.ObjectId, at: Date): Promise<string[]> {
    const lately = new Date(at.getTime() - 24 * 3600_000);
    const docs = await this.deps.coupons
      .find({ memberId, $or: [{ status: 'issued' }, { redeemedAt: { $gte: lately } }, { validUntil: { $gte: lately } }] }, { _id: 1 })
      .limit(500)
      .lean<Pick<CouponDoc, '_id'>[]>();
    return docs.map((doc) => String(doc._id));
  }

  /** The whole coupon is read (not only its owner): the scan and the redemption then use it without a second read. */
  async ownerOf(couponId: string): Promise<{ memberId: Types.ObjectId; doc: CouponDoc } | null> {
    const coupon = Types.ObjectId.isValid(couponId) ? await this.deps.coupons.findById(couponId).lean<CouponDoc>() : null;
    return coupon ? { memberId: coupon.memberId, doc: coupon } : null;
  }

  /** What POST /staff/scan shows for a coupon code (the code is already verified; `loaded`: the coupon as verifying read it). */
  async forCounter(couponId: string, loaded?: CouponDoc): Promise<Coupon> {
    const coupon = loaded && String(loaded._id) === couponId ? loaded : await this.deps.coupons.findById(couponId).lean<CouponDoc>();
    if (!coupon) throw new AppError(ErrorCode.CODE_INVALID, 'The code is invalid or has expired; ask the member to refresh it.');
    return couponView(coupon);
  }

  // ---- expiry ----

  /** Issued coupons past validUntil become expired; one conditional updateMany, safe to repeat. */
  async expireDue(): Promise<{ processed: number }> {
    const now = this.deps.now();
    const result = await this.deps.coupons.updateMany(
      { status: 'issued', validUntil: { $lte: now } },
      { $set: { status: 'expired', expiredAt: now } },
    );
    return { processed: result.modifiedCount };
  }
}

// ---- views and paging ----

function templateFields(input: CouponTemplateInput) {
  return {
    title: input.title,
    type: input.type,
    minSpendFen: input.minSpendFen ?? null,
    amountOffFen: input.amountOffFen ?? null,
    percentOff: input.percentOff ?? null,
    maxOffFen: input.maxOffFen ?? null,
    giftName: input.giftName ?? null,
    validFrom: input.validFrom ? new Date(input.validFrom) : null,
    validUntil: input.validUntil ? new Date(input.validUntil) : null,
    validDays: input.validDays ?? null,
    totalQuantity: input.totalQuantity,
    perMemberLimit: input.perMemberLimit,
    storeIds: input.storeIds ?? [],
    tiers: input.tiers ?? [],
    pointsCost: input.pointsCost ?? null,
    inCouponCentre: input.inCouponCentre ?? false,
  };
}

/** Drops null and undefined fields: the wire leaves absent what the store keeps as null. */
function present<T extends Record<string, unknown>>(record: T): { [K in keyof T]: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== null && v !== undefined)) as never;
}

export function templateView(doc: CouponTemplateDoc): CouponTemplate {
  return present({
    id: String(doc._id),
    title: doc.title,
    type: doc.type,
    minSpendFen: doc.minSpendFen,
    amountOffFen: doc.amountOffFen,
    percentOff: doc.percentOff,
    maxOffFen: doc.maxOffFen,
    giftName: doc.giftName,
    validFrom: doc.validFrom?.toISOString(),
    validUntil: doc.validUntil?.toISOString(),
    validDays: doc.validDays,
    totalQuantity: doc.totalQuantity,
    perMemberLimit: doc.perMemberLimit,
    storeIds: doc.storeIds,
    tiers: doc.tiers,
    pointsCost: doc.pointsCost,
    inCouponCentre: doc.inCouponCentre ?? false,
    issuedCount: doc.issuedCount,
    status: doc.status,
  }) as CouponTemplate;
}

export function couponView(doc: CouponDoc): Coupon {
  return present({
    id: String(doc._id),
    templateId: String(doc.templateId),
    title: doc.title,
    type: doc.type,
    status: doc.status,
    validFrom: doc.validFrom.toISOString(),
    validUntil: doc.validUntil.toISOString(),
    minSpendFen: doc.minSpendFen,
    amountOffFen: doc.amountOffFen,
    percentOff: doc.percentOff,
    maxOffFen: doc.maxOffFen,
    giftName: doc.giftName,
    storeIds: doc.storeIds,
    tiers: doc.tiers,
    issuedAt: doc.issuedAt.toISOString(),
    redeemedAt: doc.redeemedAt?.toISOString(),
  }) as Coupon;
}

