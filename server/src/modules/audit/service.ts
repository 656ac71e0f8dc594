import type { ClientSession } from 'mongoose';
import type { Actor } from '../../lib/requestContext';
import type { HqRole } from '@membercard/shared';
import { errors } from '../../lib/errors';
import { decodeCursor, encodeCursor } from '../../lib/cursor';
import type { auditModel, AuditEntry } from './model';

export interface AuditInput {
  action: string;
  targetType: string;
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

export class AuditService {
  constructor(
    private readonly model: ReturnType<typeof auditModel>,
    private readonly now: () => Date,
  ) {}

  /** Records a staff or HQ write; pass the transaction's session so the record commits with the change. */
  async record(actor: Actor, requestId: string, input: AuditInput, session?: ClientSession): Promise<void> {
    if (actor.type !== 'staff' && actor.type !== 'admin') throw errors.forbidden();
    await this.model.create(
      [
        {
          actorType: actor.type,
          actorId: actor.staffId,
          role: actor.role,
          hqRole: actor.type === 'admin' ? actor.hqRole : null,
          storeId: actor.type === 'staff' ? actor.storeId : null,
          ...input,
          memberId: input.memberId ?? null,
          before: input.before ?? null,
          after: input.after ?? null,
          requestId,
          at: this.now(),
        },
      ],
      { session },
    );
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
    return {
      items: page.map((d) => ({
        id: String(d._id),
        actorType: d.actorType,
        actorId: d.actorId,
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
}
