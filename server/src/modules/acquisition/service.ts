import {
  entryScene,
  parseEntryPairs,
  parseEntryUrl,
  type AcquisitionReport,
  type EntryCode,
  type EntryCodeQuery,
  type EntryTarget,
  type Visit,
  type VisitBody,
} from '@membercard/shared';
import { Types } from 'mongoose';
import QRCode from 'qrcode';
import { errors } from '../../lib/errors';
import type { Actor } from '../../lib/requestContext';
import { WeChatApiError, type UnlimitedQrCodeRequest } from '../../wechat';
import type { campaignModel } from '../campaigns/model';
import type { MemberDoc, memberModel } from '../members/model';
import { assertStoreScope } from '../staff/service';
import type { staffModel, storeModel } from '../staff/model';
import type { acquisitionModel, VisitDoc, visitModel } from './model';

/** The part of the WeChat client that draws mini-program codes. */
export interface WxaCodeApi {
  getUnlimitedQrCode(request: UnlimitedQrCodeRequest): Promise<{ contentType: string; image: Buffer }>;
}

/** Entry codes open the card page, which guests may browse (a page of the main package, always published). */
export const ENTRY_PAGE = 'pages/card/index';
/** A join counts for the entry code of the shopper's latest code visit no older than this. */
export const ATTRIBUTION_WINDOW_MS = 24 * 60 * 60 * 1000;

interface Deps {
  visits: ReturnType<typeof visitModel>;
  acquisitions: ReturnType<typeof acquisitionModel>;
  members: ReturnType<typeof memberModel>;
  stores: ReturnType<typeof storeModel>;
  staff: ReturnType<typeof staffModel>;
  campaigns: ReturnType<typeof campaignModel>;
  wechat: WxaCodeApi;
  /** The URL prefix registered for "扫普通链接二维码打开小程序"; poster codes carry it plus the scene's pairs. */
  entryUrlBase: string;
  now: () => Date;
}

/** Store, staff and campaign QR codes, the visits they bring and the members who join in those visits. */
export class AcquisitionService {
  constructor(private readonly deps: Deps) {}

  // ---- the shopper opens the app from a code ----

  async recordVisit(memberId: string, body: VisitBody): Promise<Visit> {
    const source = body.scene ? 'wxacode' : 'url';
    const field = body.scene ? 'body.scene' : 'body.q';
    const target = body.scene ? parseEntryPairs(body.scene) : parseEntryUrl(body.q!);
    if (!target) throw errors.validation('Not an entry code of this programme.', { fields: [{ field, message: 'Unreadable entry code' }] });
    const resolved = await this.resolve(target, field);
    const doc = await this.deps.visits.create({
      memberId: new Types.ObjectId(memberId),
      source,
      storeId: resolved.storeId,
      staffId: resolved.staffId,
      campaignId: resolved.campaignId,
      launchScene: body.launchScene ?? null,
      createdAt: this.deps.now(),
    });
    return visitView(doc.toObject());
  }

  /**
   * Called once a shopper has joined: the latest code visit within the window becomes their acquisition,
   * and its store their home store when they did not choose one. Returns the member as it now stands.
   */
  async attributeJoin(member: MemberDoc): Promise<MemberDoc> {
    const joinedAt = member.joinedAt ?? this.deps.now();
    const visit = await this.deps.visits
      .findOne({ memberId: member._id, createdAt: { $gte: new Date(joinedAt.getTime() - ATTRIBUTION_WINDOW_MS), $lte: joinedAt } })
      .sort({ createdAt: -1 })
      .lean<VisitDoc>();
    if (!visit) return member;
    await this.deps.acquisitions.updateOne(
      { memberId: member._id },
      {
        $setOnInsert: {
          memberId: member._id,
          visitId: visit._id,
          source: visit.source,
          storeId: visit.storeId,
          staffId: visit.staffId,
          campaignId: visit.campaignId,
          joinedAt,
        },
      },
      { upsert: true },
    );
    if (member.homeStoreId || !visit.storeId) return member;
    const updated = await this.deps.members
      .findOneAndUpdate({ _id: member._id, homeStoreId: null }, { $set: { homeStoreId: visit.storeId } }, { returnDocument: 'after' })
      .lean<MemberDoc>();
    return updated ?? member;
  }

  // ---- HQ and store managers make codes ----

  async entryCode(actor: Actor, query: EntryCodeQuery): Promise<EntryCode> {
    const target = await this.resolve(query, 'query.storeId');
    if (target.campaignId && actor.type !== 'admin') throw errors.forbidden('Campaign codes are made by HQ.');
    assertStoreScope(actor, target.storeId);
    const scene = entryScene({
      storeId: target.storeId ?? undefined,
      staffId: target.staffId ? String(target.staffId) : undefined,
      campaignId: target.campaignId ? String(target.campaignId) : undefined,
    });
    if (!scene) {
      throw errors.validation('A code names a staff member or a campaign, not both.', {
        fields: [{ field: 'query.campaignId', message: 'Does not fit in a 32-character scene with staffId' }],
      });
    }
    return {
      scene,
      page: ENTRY_PAGE,
      posterUrl: `${this.deps.entryUrlBase}?${scene}`,
      storeId: target.storeId,
      staffId: target.staffId ? String(target.staffId) : null,
      campaignId: target.campaignId ? String(target.campaignId) : null,
    };
  }

  /** The mini-program code image, drawn by WeChat. */
  async miniProgramCode(actor: Actor, query: EntryCodeQuery): Promise<{ contentType: string; image: Buffer; code: EntryCode }> {
    const code = await this.entryCode(actor, query);
    try {
      const { contentType, image } = await this.deps.wechat.getUnlimitedQrCode({
        scene: code.scene,
        page: code.page,
        envVersion: query.envVersion ?? 'release',
        // Trial and develop versions may open pages not yet published.
        checkPath: (query.envVersion ?? 'release') === 'release',
        width: 430,
      });
      return { contentType, image, code };
    } catch (err) {
      if (err instanceof WeChatApiError && err.errcode === 45009) throw errors.rateLimited(60);
      if (err instanceof WeChatApiError && err.errcode === 41030) {
        throw errors.validation('The card page is not in the published version yet; make a trial or develop code.', {
          fields: [{ field: 'query.envVersion', message: 'Page not published' }],
        });
      }
      throw err;
    }
  }

  /** An ordinary QR code of the poster URL, drawn here (WeChat opens the mini-program for registered URL prefixes). */
  async posterCode(actor: Actor, query: EntryCodeQuery): Promise<{ image: Buffer; code: EntryCode }> {
    const code = await this.entryCode(actor, query);
    const image = await QRCode.toBuffer(code.posterUrl, { type: 'png', width: 600, margin: 4, errorCorrectionLevel: 'M' });
    return { image, code };
  }

  // ---- the numbers ----

  async report(days: number): Promise<AcquisitionReport> {
    const to = this.deps.now();
    const from = new Date(to.getTime() - days * 24 * 60 * 60 * 1000);
    const [storeVisits, campaignVisits, joins] = await Promise.all([
      this.deps.visits.aggregate<{ _id: string; visits: number; members: Types.ObjectId[] }>([
        { $match: { createdAt: { $gte: from, $lte: to }, storeId: { $ne: null } } },
        { $group: { _id: '$storeId', visits: { $sum: 1 }, members: { $addToSet: '$memberId' } } },
      ]),
      this.deps.visits.aggregate<{ _id: Types.ObjectId; visits: number }>([
        { $match: { createdAt: { $gte: from, $lte: to }, campaignId: { $ne: null } } },
        { $group: { _id: '$campaignId', visits: { $sum: 1 } } },
      ]),
      this.deps.acquisitions
        .find({ joinedAt: { $gte: from, $lte: to } }, { storeId: 1, staffId: 1, campaignId: 1 })
        .lean<{ storeId: string | null; staffId: Types.ObjectId | null; campaignId: Types.ObjectId | null }[]>(),
    ]);
    const count = <K>(keys: (K | null)[]) => {
      const counts = new Map<string, number>();
      for (const key of keys) if (key !== null) counts.set(String(key), (counts.get(String(key)) ?? 0) + 1);
      return counts;
    };
    const joinsByStore = count(joins.map((j) => j.storeId));
    const joinsByStaff = count(joins.map((j) => j.staffId));
    const joinsByCampaign = count(joins.map((j) => j.campaignId));
    const storeIds = new Set([...storeVisits.map((v) => v._id), ...joinsByStore.keys()]);
    const staffDocs = await this.deps.staff
      .find({ _id: { $in: [...joinsByStaff.keys()].map((id) => new Types.ObjectId(id)) } }, { name: 1, storeId: 1 })
      .lean<{ _id: Types.ObjectId; name: string; storeId: string | null }[]>();
    const campaignIds = new Set([...campaignVisits.map((v) => String(v._id)), ...joinsByCampaign.keys()]);
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      stores: [...storeIds].sort().map((storeId) => {
        const visits = storeVisits.find((v) => v._id === storeId);
        return { storeId, visits: visits?.visits ?? 0, visitors: visits?.members.length ?? 0, joins: joinsByStore.get(storeId) ?? 0 };
      }),
      staff: staffDocs
        .map((s) => ({ staffId: String(s._id), storeId: s.storeId, name: s.name, joins: joinsByStaff.get(String(s._id)) ?? 0 }))
        .sort((a, b) => b.joins - a.joins),
      campaigns: [...campaignIds].map((campaignId) => ({
        campaignId,
        visits: campaignVisits.find((v) => String(v._id) === campaignId)?.visits ?? 0,
        joins: joinsByCampaign.get(campaignId) ?? 0,
      })),
    };
  }

  /** Checks the target exists; a staff member's store stands in for a missing store code. */
  private async resolve(target: EntryTarget, field: string) {
    const { stores, staff, campaigns } = this.deps;
    let storeId = target.storeId ?? null;
    let staffId: Types.ObjectId | null = null;
    if (target.staffId) {
      const account = await staff.findOne({ _id: target.staffId, active: true, role: { $in: ['clerk', 'manager'] } }, { storeId: 1 }).lean();
      if (!account) throw errors.validation('No such staff member.', { fields: [{ field, message: 'Unknown staff member' }] });
      staffId = account._id;
      storeId ??= account.storeId;
    }
    if (storeId && !(await stores.exists({ _id: storeId }))) {
      throw errors.validation('No such store.', { fields: [{ field, message: 'Unknown store' }] });
    }
    let campaignId: Types.ObjectId | null = null;
    if (target.campaignId) {
      const campaign = await campaigns.findOne({ _id: target.campaignId }, { _id: 1 }).lean();
      if (!campaign) throw errors.validation('No such campaign.', { fields: [{ field, message: 'Unknown campaign' }] });
      campaignId = campaign._id;
    }
    return { storeId, staffId, campaignId };
  }
}

function visitView(doc: VisitDoc): Visit {
  return {
    id: String(doc._id),
    source: doc.source,
    storeId: doc.storeId,
    staffId: doc.staffId ? String(doc.staffId) : null,
    campaignId: doc.campaignId ? String(doc.campaignId) : null,
    createdAt: doc.createdAt.toISOString(),
  };
}
