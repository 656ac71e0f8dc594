import type { ClientSession } from 'mongoose';
import type { Actor } from '../../lib/requestContext';
import { type AuditAction, type AuditTargetType, type HqRole } from '@membercard/shared';
import { Types } from 'mongoose';
import type { Models } from '../../services';
import { errors } from '../../lib/errors';
import { decodeCursor, encodeCursor } from '../../lib/cursor';
import type { auditModel, AuditEntry } from './model';

export interface AuditInput {
  /** One of the shared dictionary's actions (shared/src/labels/audit.ts), so every action has its words. */
  action: AuditAction;
  targetType: AuditTargetType;
  targetId: string;
  /** The member concerned (a purchase's, a redemption's, a sign-up's), for the member's audit trail. */
  memberId?: string | null;
  before?: unknown;
  after?: unknown;
}

export interface AuditFilter {
  actorId?: string;
  action?: string;
  storeId?: string;
  targetType?: string;
  targetId?: string;
  memberId?: string;
  from?: Date;
  to?: Date;
}

/** The collections an entry's actor, store and target are named from. */
export type AuditNameSources = Pick<Models, 'staff' | 'stores' | 'members' | 'purchases' | 'coupons' | 'redemptions' | 'couponTemplates' | 'codeBatches' | 'campaigns' | 'savedSegments' | 'activities' | 'signups' | 'webhookEndpoints'>;

const objectIds = (ids: Iterable<string>) => [...new Set(ids)].filter((id) => Types.ObjectId.isValid(id) && /^[0-9a-f]{24}$/i.test(id)).map((id) => new Types.ObjectId(id));

export class AuditService {
  constructor(
    private readonly model: ReturnType<typeof auditModel>,
    private readonly now: () => Date,
    private readonly names?: AuditNameSources,
  ) {}

  /** Records a staff or HQ write; pass the transaction's session so the record commits with the change. */
  async record(actor: Actor, requestId: string, input: AuditInput, session?: ClientSession): Promise<void> {
    if (actor.type !== 'staff' && actor.type !== 'admin') throw errors.forbidden();
    // Every staff and HQ write records one (each purchase at the till): a complete document of stored types,
    // inserted by the driver, with no mongoose document to build, cast and validate.
    const entry: AuditEntry = {
      _id: new Types.ObjectId(),
      actorType: actor.type,
      actorId: actor.staffId,
      role: actor.role,
      hqRole: actor.type === 'admin' ? actor.hqRole : null,
      storeId: actor.type === 'staff' ? actor.storeId : null,
      action: input.action,
      targetType: input.targetType,
      targetId: input.targetId,
      memberId: input.memberId ?? null,
      before: input.before ?? null,
      after: input.after ?? null,
      requestId,
      at: this.now(),
    };
    await this.model.collection.insertOne(entry, { session });
  }

  async list(filter: AuditFilter, limit: number, cursor?: string) {
    const query: Record<string, unknown> = {};
    if (filter.actorId) query.actorId = filter.actorId;
    // 'security.*' lists a family of actions (HQ's security alerts); an anchored prefix still uses the action index.
    if (filter.action?.endsWith('.*') && /^[a-z_]+(\.[a-z_]+)*\.\*$/.test(filter.action)) {
      query.action = { $regex: `^${filter.action.slice(0, -1).replace(/\./g, '\\.')}` };
    } else if (filter.action) query.action = filter.action;
    if (filter.storeId) query.storeId = filter.storeId;
    if (filter.targetType) query.targetType = filter.targetType;
    if (filter.targetId) query.targetId = filter.targetId;
    if (filter.memberId) query.memberId = filter.memberId;
    if (filter.from || filter.to) query.at = { ...(filter.from ? { $gte: filter.from } : {}), ...(filter.to ? { $lt: filter.to } : {}) };
    const after = cursor ? decodeCursor(cursor) : null;
    if (after) {
      query.$or = [{ at: { $lt: after.at } }, { at: after.at, _id: { $lt: after.id } }];
    }
    const docs = await this.model.find(query).sort({ at: -1, _id: -1 }).limit(limit + 1).lean<AuditEntry[]>();
    const page = docs.slice(0, limit);
    const last = page[page.length - 1];
    const named = await this.namesFor(page);
    return {
      items: page.map((d) => ({
        id: String(d._id),
        actorType: d.actorType,
        actorId: d.actorId,
        actorName: named.actors.get(d.actorId) ?? null,
        storeName: d.storeId ? (named.stores.get(d.storeId) ?? null) : null,
        targetName: named.targets.get(`${d.targetType}:${d.targetId}`) ?? null,
        role: d.role,
        hqRole: (d.hqRole as HqRole | null | undefined) ?? null,
        storeId: d.storeId,
        action: d.action,
        targetType: d.targetType,
        targetId: d.targetId,
        memberId: d.memberId ?? null,
        before: d.before,
        after: d.after,
        requestId: d.requestId,
        at: d.at.toISOString(),
      })),
      nextCursor: docs.length > limit && last ? encodeCursor({ at: last.at, id: last._id }) : null,
    };
  }

  /**
   * Names for one page of entries, a query per kind of record (each by _id, so each is one indexed
   * look-up of at most a page of ids): who acted, in which store, and what the target is called.
   */
  private async namesFor(page: AuditEntry[]) {
    const actors = new Map<string, string>();
    const stores = new Map<string, string>();
    const targets = new Map<string, string>();
    const sources = this.names;
    if (!sources || page.length === 0) return { actors, stores, targets };
    const idsOf = (type: AuditTargetType) => page.filter((d) => d.targetType === type).map((d) => d.targetId);
    // Managers read a member of their store in full in the console, so the trail names them in full too.
    const memberName = (m: { name?: string | null; cardNo?: string | null }) => m.name || (m.cardNo ? `No.${m.cardNo}` : null);

    // Second-hop ids (a redemption's coupon template, a sign-up's activity and member) are read after the first hop.
    const [staff, storeDocs, members, purchases, coupons, redemptions, templates, batches, campaigns, segments, activities, signups, endpoints] = await Promise.all([
      sources.staff.find({ _id: { $in: objectIds([...page.map((d) => d.actorId), ...idsOf('staff')]) } }, { name: 1, username: 1 }).lean<Array<{ _id: Types.ObjectId; name: string; username: string }>>(),
      sources.stores.find({ _id: { $in: [...new Set([...page.map((d) => d.storeId).filter((id): id is string => !!id), ...idsOf('store')])] } }, { name: 1 }).lean<Array<{ _id: string; name: string }>>(),
      sources.members.find({ _id: { $in: objectIds(idsOf('member')) } }, { name: 1, cardNo: 1 }).lean<Array<{ _id: Types.ObjectId; name?: string | null; cardNo?: string | null }>>(),
      sources.purchases.find({ _id: { $in: objectIds([...idsOf('purchase')]) } }, { orderNo: 1 }).lean<Array<{ _id: Types.ObjectId; orderNo: string }>>(),
      sources.coupons.find({ _id: { $in: objectIds(idsOf('coupon')) } }, { templateId: 1 }).lean<Array<{ _id: Types.ObjectId; templateId: Types.ObjectId }>>(),
      sources.redemptions.find({ _id: { $in: objectIds(idsOf('redemption')) } }, { templateId: 1 }).lean<Array<{ _id: Types.ObjectId; templateId: Types.ObjectId }>>(),
      sources.couponTemplates.find({ _id: { $in: objectIds(idsOf('coupon_template')) } }, { title: 1 }).lean<Array<{ _id: Types.ObjectId; title: string }>>(),
      sources.codeBatches.find({ _id: { $in: objectIds(idsOf('redemption_code_batch')) } }, { name: 1 }).lean<Array<{ _id: Types.ObjectId; name?: string | null }>>(),
      sources.campaigns.find({ _id: { $in: objectIds(idsOf('campaign')) } }, { name: 1 }).lean<Array<{ _id: Types.ObjectId; name: string }>>(),
      sources.savedSegments.find({ _id: { $in: objectIds(idsOf('segment')) } }, { name: 1 }).lean<Array<{ _id: Types.ObjectId; name: string }>>(),
      sources.activities.find({ _id: { $in: objectIds(idsOf('activity')) } }, { title: 1 }).lean<Array<{ _id: Types.ObjectId; title: string }>>(),
      sources.signups.find({ _id: { $in: objectIds(idsOf('signup')) } }, { activityId: 1, memberId: 1 }).lean<Array<{ _id: Types.ObjectId; activityId: Types.ObjectId; memberId: Types.ObjectId }>>(),
      sources.webhookEndpoints.find({ _id: { $in: idsOf('webhook_endpoint') } }, { url: 1 }).lean<Array<{ _id: string; url: string }>>(),
    ]);
    const [couponTitles, signupActivities, signupMembers] = await Promise.all([
      sources.couponTemplates.find({ _id: { $in: [...coupons, ...redemptions].map((c) => c.templateId) } }, { title: 1 }).lean<Array<{ _id: Types.ObjectId; title: string }>>(),
      sources.activities.find({ _id: { $in: signups.map((s) => s.activityId) } }, { title: 1 }).lean<Array<{ _id: Types.ObjectId; title: string }>>(),
      sources.members.find({ _id: { $in: signups.map((s) => s.memberId) } }, { name: 1, cardNo: 1 }).lean<Array<{ _id: Types.ObjectId; name?: string | null; cardNo?: string | null }>>(),
    ]);

    for (const account of staff) {
      actors.set(String(account._id), account.name);
      targets.set(`staff:${String(account._id)}`, `${account.name}（${account.username}）`);
    }
    for (const store of storeDocs) {
      stores.set(store._id, store.name);
      targets.set(`store:${store._id}`, store.name);
    }
    for (const member of members) {
      const name = memberName(member);
      if (name) targets.set(`member:${String(member._id)}`, name);
    }
    for (const purchase of purchases) targets.set(`purchase:${String(purchase._id)}`, purchase.orderNo);
    const titleOf = new Map(couponTitles.map((t) => [String(t._id), t.title]));
    for (const coupon of coupons) {
      const title = titleOf.get(String(coupon.templateId));
      if (title) targets.set(`coupon:${String(coupon._id)}`, title);
    }
    for (const redemption of redemptions) {
      const title = titleOf.get(String(redemption.templateId));
      if (title) targets.set(`redemption:${String(redemption._id)}`, title);
    }
    for (const template of templates) targets.set(`coupon_template:${String(template._id)}`, template.title);
    for (const batch of batches) if (batch.name) targets.set(`redemption_code_batch:${String(batch._id)}`, batch.name);
    for (const campaign of campaigns) targets.set(`campaign:${String(campaign._id)}`, campaign.name);
    for (const segment of segments) targets.set(`segment:${String(segment._id)}`, segment.name);
    for (const activity of activities) targets.set(`activity:${String(activity._id)}`, activity.title);
    const activityTitle = new Map(signupActivities.map((a) => [String(a._id), a.title]));
    const signupMember = new Map(signupMembers.map((m) => [String(m._id), memberName(m)]));
    for (const signup of signups) {
      const parts = [signupMember.get(String(signup.memberId)), activityTitle.get(String(signup.activityId))].filter(Boolean);
      if (parts.length) targets.set(`signup:${String(signup._id)}`, parts.join(' · '));
    }
    for (const endpoint of endpoints) targets.set(`webhook_endpoint:${endpoint._id}`, endpoint.url);
    return { actors, stores, targets };
  }
}
