import {
  ErrorCode,
  type EarnRules,
  type LedgerEntry as WireLedgerEntry,
  type Page,
  type PointsAdjustmentBody,
} from '@membercard/shared';
import type mongoose from 'mongoose';
import { Types } from 'mongoose';
import { pageBy } from '../../lib/cursor';
import { AppError, errors } from '../../lib/errors';
import type { Actor } from '../../lib/requestContext';
import { inTransaction } from '../../lib/transactions';
import type { AuditService } from '../audit/service';
import type { MemberDoc, memberModel } from '../members/model';
import type { SettingsService } from '../settings/service';
import type { StaffService } from '../staff/service';
import type { PointsLedger } from './ledger';
import type { LedgerEntry, ledgerModel } from './model';
import type { LedgerNarrator } from './narrator';

// What HQ, managers and members do with points over HTTP: read the ledger, correct a balance, set the
// earn rules. Every change still goes through PointsLedger.

interface Deps {
  connection: mongoose.Connection;
  ledger: PointsLedger;
  entries: ReturnType<typeof ledgerModel>;
  members: ReturnType<typeof memberModel>;
  settings: SettingsService;
  staff: StaffService;
  audit: AuditService;
  /** Describes the member's own statement lines (store, amount, items, titles). */
  narrator?: LedgerNarrator;
}

export class PointsService {
  constructor(private readonly deps: Deps) {}

  /** An HQ correction: a positive delta earns a lot, a negative one spends (422 INSUFFICIENT_POINTS below 0). */
  async adjust(actor: Actor, memberId: string, body: PointsAdjustmentBody, key: string, requestId: string): Promise<WireLedgerEntry> {
    const member = await memberInScope(this.deps.members, actor, memberId, ['active']);
    const { ledger, connection, audit } = this.deps;
    const entry = await inTransaction(connection, undefined, async (session) => {
      const change = {
        memberId: member._id,
        amount: Math.abs(body.delta),
        reason: body.reason,
        source: 'adjustment' as const,
        idempotencyKey: `adjustment:${memberId}:${key}`,
        actorId: actor.type === 'admin' ? actor.staffId : null,
        session,
      };
      const booked = body.delta > 0 ? await ledger.earn(change) : await ledger.spend(change);
      await audit.record(
        actor,
        requestId,
        { action: 'points.adjust', targetType: 'member', targetId: memberId, memberId, after: { entryId: String(booked._id), delta: booked.delta, balanceAfter: booked.balanceAfter, reason: body.reason } },
        session,
      );
      return booked;
    });
    return toWireEntry(entry);
  }

  /** One page of a member's ledger, newest first, by a range query on (memberId, createdAt, _id). */
  async page(memberId: Types.ObjectId, limit: number, cursor?: string): Promise<Page<WireLedgerEntry>> {
    return pageBy(this.deps.entries, { memberId }, 'createdAt', limit, cursor, toWireEntry);
  }

  /** The member's statement: the page as `page` answers it, each entry with its description (a fixed number of reads per page). */
  async memberPage(memberId: string, limit: number, cursor?: string): Promise<Page<WireLedgerEntry>> {
    const docs: LedgerEntry[] = [];
    const page = await pageBy(this.deps.entries, { memberId: new Types.ObjectId(memberId) }, 'createdAt', limit, cursor, (entry: LedgerEntry) => {
      docs.push(entry);
      return toWireEntry(entry);
    });
    const { narrator } = this.deps;
    if (!narrator || docs.length === 0) return page;
    const descriptions = await narrator.describe(docs);
    return { ...page, items: page.items.map((item, i) => (descriptions[i] ? { ...item, description: descriptions[i] } : item)) };
  }

  async adminPage(actor: Actor, memberId: string, limit: number, cursor?: string) {
    const member = await memberInScope(this.deps.members, actor, memberId, ['active', 'erased']);
    return this.page(member._id, limit, cursor);
  }

  async earnRules(): Promise<EarnRules> {
    return (await this.deps.settings.get()).earnRules;
  }

  /** Replaces the earn rules; campaigns may only name stores and tiers that exist. Audited with before and after. */
  async updateEarnRules(actor: Actor, rules: EarnRules, requestId: string): Promise<EarnRules> {
    const { settings, staff, audit } = this.deps;
    const current = await settings.get();
    const fields: Array<{ field: string; message: string }> = [];
    const tierCodes = new Set(current.tiers.map((tier) => tier.code));
    const seen = new Set<string>();
    for (const [index, campaign] of rules.campaigns.entries()) {
      if (seen.has(campaign.id)) fields.push({ field: `body.campaigns.${index}.id`, message: 'Campaign ids must be unique' });
      seen.add(campaign.id);
      for (const tier of campaign.tiers ?? []) {
        if (!tierCodes.has(tier)) fields.push({ field: `body.campaigns.${index}.tiers`, message: `Unknown tier ${tier}` });
      }
      for (const storeId of campaign.storeIds ?? []) {
        if (!(await staff.storeExists(storeId))) fields.push({ field: `body.campaigns.${index}.storeIds`, message: `Unknown store ${storeId}` });
      }
    }
    if (fields.length) throw errors.validation('The earn rules name unknown tiers or stores.', { fields });
    const updated = await settings.update({ earnRules: rules });
    await audit.record(actor, requestId, { action: 'earn_rules.update', targetType: 'settings', targetId: 'earnRules', before: current.earnRules, after: updated.earnRules });
    return updated.earnRules;
  }
}

/**
 * The member an HQ or manager route is about: HQ sees every member, a manager only those whose home store
 * is theirs (others are answered 404, as if they did not exist).
 */
export async function memberInScope(
  members: ReturnType<typeof memberModel>,
  actor: Actor,
  memberId: string,
  statuses: Array<MemberDoc['status']>,
): Promise<MemberDoc> {
  const member = Types.ObjectId.isValid(memberId) ? await members.findById(memberId).lean<MemberDoc>() : null;
  if (!member || !statuses.includes(member.status)) throw errors.notFound('No such member.');
  if (actor.type === 'staff' && member.homeStoreId !== actor.storeId) throw errors.notFound('No such member.');
  if (actor.type !== 'staff' && actor.type !== 'admin') throw new AppError(ErrorCode.FORBIDDEN, 'Not allowed.');
  return member;
}

export function toWireEntry(entry: LedgerEntry): WireLedgerEntry {
  return {
    id: String(entry._id),
    delta: entry.delta,
    balanceAfter: entry.balanceAfter,
    reason: entry.reason,
    source: entry.source,
    createdAt: entry.createdAt.toISOString(),
    ...(entry.expiresAt ? { expiresAt: entry.expiresAt.toISOString() } : {}),
    ...(typeof entry.shortfall === 'number' ? { shortfall: entry.shortfall } : {}),
  };
}
