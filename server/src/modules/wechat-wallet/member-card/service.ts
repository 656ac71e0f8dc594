import type { TierDefinition } from '@membercard/shared';
import mongoose, { Types } from 'mongoose';
import { ErrorCode } from '@membercard/shared';
import { AppError, errors, isDuplicateKeyError } from '../../../lib/errors';
import type { Actor } from '../../../lib/requestContext';
import { WeChatApiError } from '../../../wechat/errors';
import type { AuditService } from '../../audit/service';
import type { MemberDoc, memberModel } from '../../members/model';
import type { MembersService } from '../../members/service';
import type { SettingsService } from '../../settings/service';
import type { StoredValueAccount, StoredValueEntryDoc } from '../../stored-value/model';
import { MemberCardApi } from './api';
import { CARD_COLOURS, type CardFace, type MemberCardDesignDoc, type MemberCardLinkDoc, type memberCardDesignModel, type memberCardLinkModel } from './model';
import type { ActivateBody, CardDesignBody } from './schemas';

/** The mini-program page WeChat opens after the shopper fills the card's form (跳转型一键激活). */
export const MEMBER_CARD_ACTIVATE_PAGE = 'pages/member-card/activate';
/** The card-opening component's fixed appid (docs/wechat-member-card.md §2). */
export const CARD_COMPONENT_APPID = 'wxeb490c6f9b154ef9';
/** How long the request that inserted a link owns the card/membercard/activate call before the job may take it over. */
export const ACTIVATION_LEASE_MS = 30_000;
/** custom_field_value* holds 12 bytes (4 Chinese characters). */
const CUSTOM_VALUE_BYTES = 12;
/** The component's parameters change only with the card; kept a while per channel so a tap costs no WeChat call. */
const OPEN_PARAMS_TTL_MS = 10 * 60_000;

/** A design until HQ saves one: the demo brand's look, WeChat's green. */
export const DEFAULT_CARD_DESIGN: CardDesignBody = {
  brandName: '会员俱乐部',
  title: '会员卡',
  logoUrl: 'https://example.com/brand/logo.png',
  colour: 'Color010',
  backgroundUrl: 'https://example.com/brand/card.png',
  tierArt: [],
  benefits: '消费积分，会员专享优惠券与活动。',
  notice: '出示会员码享会员权益',
  description: '积分、等级以小程序内为准。',
  servicePhone: null,
  miniProgramUserName: 'gh_membercard@app',
  codePage: 'pages/card/index',
};

export interface MemberCardDeps {
  designs: ReturnType<typeof memberCardDesignModel>;
  links: ReturnType<typeof memberCardLinkModel>;
  members: ReturnType<typeof memberModel>;
  membersService: MembersService;
  settings: SettingsService;
  audit: AuditService;
  api: MemberCardApi;
  /** The programme's brand (modules/branding): an unsaved design starts from its name and colour. */
  brand?: { getBrandSettings(): Promise<{ name: string; primaryColor: string }> };
  storedValue?: StoredValueSource;
  now: () => Date;
}

/** The WeChat palette colour nearest to a `#rrggbb` brand colour (WeChat cards take only its named colours). */
export function nearestCardColour(hex: string): string {
  const rgb = (value: string) => [1, 3, 5].map((at) => Number.parseInt(value.slice(at, at + 2), 16));
  const [r, g, b] = rgb(hex);
  let best = 'Color010';
  let bestDistance = Infinity;
  for (const [name, candidate] of Object.entries(CARD_COLOURS)) {
    const [cr, cg, cb] = rgb(candidate);
    const distance = (r! - cr!) ** 2 + (g! - cg!) ** 2 + (b! - cb!) ** 2;
    if (distance < bestDistance) [best, bestDistance] = [name, distance];
  }
  return best;
}

/** `value` cut to at most `bytes` UTF-8 bytes without splitting a character. */
export function fitBytes(value: string, bytes: number): string {
  let out = '';
  for (const char of value) {
    if (Buffer.byteLength(out + char) > bytes) break;
    out += char;
  }
  return out;
}

function fitChars(value: string, chars: number): string {
  return [...value].slice(0, chars).join('');
}

/** What a member's card should show, from the member, the tier ladder and the design. */
export function cardFaceOf(member: Pick<MemberDoc, 'pointsBalance' | 'tier'>, tiers: TierDefinition[], design: CardDesignBody, balanceFen: number | null = null): CardFace {
  const tier = tiers.find((candidate) => candidate.code === member.tier) ?? tiers[0]!;
  const art = design.tierArt.find((entry) => entry.tier === tier.code)?.backgroundUrl ?? design.backgroundUrl;
  return { bonus: member.pointsBalance, tierName: fitBytes(tier.name, CUSTOM_VALUE_BYTES), backgroundUrl: art, balanceFen };
}

export function sameFace(a: CardFace | null | undefined, b: CardFace): boolean {
  return Boolean(a) && a!.bonus === b.bonus && a!.tierName === b.tierName && a!.backgroundUrl === b.backgroundUrl && (a!.balanceFen ?? null) === b.balanceFen;
}

/** Where the stored-value balances live (modules/stored-value); absent, the card shows no balance. */
export interface StoredValueSource {
  accounts: mongoose.Model<StoredValueAccount>;
  entries: mongoose.Model<StoredValueEntryDoc>;
}

/** Members' stored-value balances in fen (0 without an account), or null for each when there is no stored value. */
export async function balancesOf(source: StoredValueSource | undefined, memberIds: Types.ObjectId[]): Promise<Map<string, number> | null> {
  if (!source) return null;
  const accounts = await source.accounts.find({ _id: { $in: memberIds } }, { principalFen: 1, bonusFen: 1 }).lean<Array<Pick<StoredValueAccount, '_id' | 'principalFen' | 'bonusFen'>>>();
  const balances = new Map(memberIds.map((id) => [String(id), 0]));
  for (const account of accounts) balances.set(String(account._id), account.principalFen + account.bonusFen);
  return balances;
}

/** A WeChat refusal as the link and the console keep it. */
export function errorInfo(error: unknown, at: Date): { errcode: number | null; message: string; at: Date } {
  if (error instanceof WeChatApiError) return { errcode: error.errcode, message: error.errmsg || error.message, at };
  return { errcode: null, message: error instanceof Error ? error.message : String(error), at };
}

/**
 * The WeChat member card: HQ's design published as one WeChat card (card/create, then card/update), the
 * card-opening component's parameters for the mini-program, and activation, which links the card code in
 * the shopper's wallet to our member (joining them first, as the join page does) exactly once.
 * Keeping the card's points and tier current is MemberCardSync (sync.ts).
 */
export class MemberCardService {
  private readonly openParamsCache = new Map<string, { at: number; value: Promise<{ encrypt_card_id: string; outer_str: string; biz: string }> }>();

  constructor(private readonly deps: MemberCardDeps) {}

  async design(): Promise<MemberCardDesignDoc> {
    const found = await this.deps.designs.findById('card').lean<MemberCardDesignDoc>();
    if (found) return found;
    const brand = await this.deps.brand?.getBrandSettings();
    const fromBrand = brand ? { brandName: fitChars(brand.name, 12), title: '会员卡', colour: nearestCardColour(brand.primaryColor) } : {};
    return { _id: 'card', ...DEFAULT_CARD_DESIGN, ...fromBrand, cardId: null, publishedAt: null, publishError: null, updatedAt: new Date(0) };
  }

  /** What WeChat's card/create and card/update take (docs/wechat-member-card.md §1). */
  memberCardFields(design: CardDesignBody, creating: boolean): Record<string, unknown> {
    return {
      background_pic_url: design.backgroundUrl,
      prerogative: design.benefits,
      ...(creating ? { supply_bonus: true, supply_balance: Boolean(this.deps.storedValue), wx_activate: true, wx_activate_after_submit: true, custom_field1: { name_type: 'FIELD_NAME_TYPE_LEVEL', name: '等级' } } : {}),
      // After the card's form WeChat opens our activation page with card_id, activate_ticket and encrypt_code.
      activate_app_brand_user_name: design.miniProgramUserName,
      activate_app_brand_pass: MEMBER_CARD_ACTIVATE_PAGE,
      base_info: {
        logo_url: design.logoUrl,
        ...(creating ? { brand_name: design.brandName, code_type: 'CODE_TYPE_NONE', date_info: { type: 'DATE_TYPE_PERMANENT' }, sku: { quantity: 100_000_000 }, get_limit: 1, can_give_friend: false, use_custom_code: false } : {}),
        title: design.title,
        color: design.colour,
        notice: design.notice,
        description: design.description,
        ...(design.servicePhone ? { service_phone: design.servicePhone } : {}),
        // The card shows no code of its own: its 会员码 button opens the member code page, whose code changes
        // every step, so a screenshot of the wallet cannot stand in for the member at the counter.
        center_title: '会员码',
        center_app_brand_user_name: design.miniProgramUserName,
        center_app_brand_pass: design.codePage,
      },
    };
  }

  /**
   * Saves HQ's design and publishes it: card/create the first time, card/update after. A WeChat refusal is
   * kept with the design and shown to HQ (the design stays saved, and saving again retries).
   */
  async saveDesign(actor: Actor, requestId: string, body: CardDesignBody): Promise<MemberCardDesignDoc> {
    const { designs, api, audit, now } = this.deps;
    const before = await this.design();
    let cardId = before.cardId;
    let publishError: MemberCardDesignDoc['publishError'] = null;
    try {
      if (cardId) await api.updateCard(cardId, this.memberCardFields(body, false));
      else cardId = await api.createCard(this.memberCardFields(body, true));
    } catch (error) {
      publishError = errorInfo(error, now());
    }
    const saved = await designs
      .findOneAndUpdate(
        { _id: 'card' },
        { $set: { ...body, cardId, publishError, updatedAt: now(), ...(publishError ? {} : { publishedAt: now() }) }, $setOnInsert: publishError ? { publishedAt: null } : {} },
        { upsert: true, returnDocument: 'after' },
      )
      .lean<MemberCardDesignDoc>();
    this.openParamsCache.clear();
    // Card art or tier names may have changed: every card in a wallet is looked at again by the sync.
    if (!publishError) await this.deps.links.updateMany({ status: 'active', dirty: false }, { $set: { dirty: true, dirtyAt: now(), nextAttemptAt: now() } });
    await audit.record(actor, requestId, { action: 'wechat_member_card.design', targetType: 'wechat_member_card', targetId: cardId ?? 'card', before: designView(before), after: designView(saved!) });
    return saved!;
  }

  /** The card-opening component's parameters for the mini-program (`channel` comes back as outer_str). */
  async openParams(channel: string | undefined): Promise<{ appId: string; extraData: { encrypt_card_id: string; outer_str: string; biz: string } }> {
    const design = await this.design();
    if (!design.cardId) throw new AppError(ErrorCode.NOT_FOUND, 'The WeChat member card is not set up yet.');
    const outerStr = channel ?? 'app';
    const key = `${design.cardId}|${outerStr}`;
    let cached = this.openParamsCache.get(key);
    if (!cached || Date.now() - cached.at > OPEN_PARAMS_TTL_MS) {
      const value = this.deps.api.activateUrl(design.cardId, outerStr);
      cached = { at: Date.now(), value };
      this.openParamsCache.set(key, cached);
      value.catch(() => this.openParamsCache.delete(key));
    }
    return { appId: CARD_COMPONENT_APPID, extraData: await cached.value };
  }

  /**
   * Links the card the shopper just opened (the component's activate_ticket and code) to their membership,
   * exactly once: the unique indexes on the member and on the code make parallel or repeated activations end
   * with one link, and only the request that inserted it calls card/membercard/activate (others answer the
   * link as it stands; the job finishes an activation whose caller died). A shopper who is not a member yet
   * joins with the card, as on the join page.
   */
  async activate(memberId: string, body: ActivateBody): Promise<{ status: MemberCardLinkDoc['status']; cardId: string; code: string; membershipNumber: string | null }> {
    const { links, api, now } = this.deps;
    const design = await this.design();
    if (!design.cardId) throw new AppError(ErrorCode.NOT_FOUND, 'The WeChat member card is not set up yet.');
    if (body.cardId !== design.cardId) throw errors.validation('This is not the programme’s member card.', { fields: [{ field: 'body.cardId', message: 'Unknown card' }] });
    const code = body.code ?? (await this.weChatCall(() => api.decryptCode(body.encryptCode!), 'The card code could not be read.'));

    const existing = await links.findOne({ $or: [{ memberId: new Types.ObjectId(memberId) }, { cardId: design.cardId, code }] }).lean<MemberCardLinkDoc>();
    if (existing && !(existing.status === 'removed' && String(existing.memberId) === memberId && existing.code !== code)) return this.answerExisting(existing, memberId, code);

    // The ticket proves the shopper just filled the card's form in this app (assumption 2 of the doc). WeChat
    // may take a ticket only once: a parallel twin of this request that already linked the card is answered.
    try {
      await this.weChatCall(() => api.activateTempInfo(body.activateTicket), 'The card-opening ticket is invalid or has expired.');
    } catch (error) {
      const linked = await links.findOne({ memberId: new Types.ObjectId(memberId), cardId: design.cardId, code }).lean<MemberCardLinkDoc>();
      if (linked) return this.answerExisting(linked, memberId, code);
      throw error;
    }
    const member = await this.memberFor(memberId, body);

    // The shopper deleted the card from their wallet and took it again: the link moves to the new code.
    if (existing) {
      const moved = await links
        .findOneAndUpdate(
          { _id: existing._id, status: 'removed' },
          { $set: { code, outerStr: body.channel ?? null, status: 'activating', leaseUntil: new Date(now().getTime() + ACTIVATION_LEASE_MS), shown: null, dirty: false, dirtyAt: null, nextAttemptAt: null, failures: 0, lastError: null } },
          { returnDocument: 'after' },
        )
        .lean<MemberCardLinkDoc>()
        .catch((error: unknown) => {
          if (isDuplicateKeyError(error)) throw new AppError(ErrorCode.CONFLICT, 'This card is already linked to another member.');
          throw error;
        });
      if (!moved) return this.answerExisting((await links.findById(existing._id).lean<MemberCardLinkDoc>())!, memberId, code);
      return linkView((await this.callActivate(moved, member, design)) ?? moved, member.cardNo ?? null);
    }

    let link: MemberCardLinkDoc;
    try {
      [link] = (await links.create([{
        memberId: member._id, cardId: design.cardId, code, outerStr: body.channel ?? null, status: 'activating', leaseUntil: new Date(now().getTime() + ACTIVATION_LEASE_MS),
        shown: null, dirty: false, failures: 0, createdAt: now(),
      }])).map((doc) => doc.toObject() as MemberCardLinkDoc) as [MemberCardLinkDoc];
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      // A parallel activation of the same card (or of this member) inserted first: it activates.
      const winner = await links.findOne({ $or: [{ memberId: member._id }, { cardId: design.cardId, code }] }).lean<MemberCardLinkDoc>();
      return this.answerExisting(winner!, memberId, code);
    }
    const activated = await this.callActivate(link, member, design);
    return linkView(activated ?? link, member.cardNo ?? null);
  }

  /**
   * card/membercard/activate for a link this caller owns (it inserted it, or took over its lapsed lease), with
   * the card's first face; the link becomes active. WeChat answering "already activated" (a caller that died
   * after WeChat's answer) counts as done, and the sync then brings the face up to date. Other failures leave
   * the link activating for the job; null then.
   */
  async callActivate(link: MemberCardLinkDoc, member: MemberDoc, design: MemberCardDesignDoc): Promise<MemberCardLinkDoc | null> {
    const { links, api, now } = this.deps;
    const { tiers } = await this.deps.settings.cached();
    const balance = (await balancesOf(this.deps.storedValue, [member._id]))?.get(String(member._id)) ?? null;
    const face = cardFaceOf(member, tiers, design, balance);
    let alreadyActive = false;
    try {
      await api.activate({
        card_id: link.cardId, code: link.code, membership_number: member.cardNo!, init_bonus: face.bonus, init_custom_field_value1: face.tierName, background_pic_url: face.backgroundUrl,
        ...(face.balanceFen !== null ? { init_balance: face.balanceFen } : {}),
      });
    } catch (error) {
      if (error instanceof WeChatApiError && error.errcode === 40099) alreadyActive = true;
      else {
        await links.updateOne({ _id: link._id, status: 'activating' }, { $set: { lastError: errorInfo(error, now()) }, $inc: { failures: 1 } });
        return null;
      }
    }
    return links
      .findOneAndUpdate(
        { _id: link._id, status: 'activating' },
        {
          $set: {
            status: 'active', leaseUntil: null, activatedAt: now(), failures: 0, lastError: null,
            shown: alreadyActive ? null : face, dirty: alreadyActive, dirtyAt: alreadyActive ? now() : null, nextAttemptAt: alreadyActive ? now() : null,
            lastSyncedAt: alreadyActive ? null : now(),
          },
        },
        { returnDocument: 'after' },
      )
      .lean<MemberCardLinkDoc>();
  }

  /** Activations whose caller died or whose WeChat call failed, once their lease has lapsed: activated now. */
  async finishActivations(limit = 100): Promise<number> {
    const { links, members, now } = this.deps;
    const design = await this.design();
    let done = 0;
    for (let i = 0; i < limit; i++) {
      const lease = new Date(now().getTime() + ACTIVATION_LEASE_MS);
      const link = await links
        .findOneAndUpdate({ status: 'activating', leaseUntil: { $lte: now() } }, { $set: { leaseUntil: lease } }, { returnDocument: 'after' })
        .lean<MemberCardLinkDoc>();
      if (!link) break;
      const member = await members.findOne({ _id: link.memberId, status: 'active' }).lean<MemberDoc>();
      if (!member) continue;
      if (await this.callActivate(link, member, design)) done += 1;
    }
    return done;
  }

  /** The member's card link as the mini-program shows it, or null. */
  async linkOf(memberId: string): Promise<{ status: MemberCardLinkDoc['status']; cardId: string; code: string; membershipNumber: string | null } | null> {
    const link = await this.deps.links.findOne({ memberId: new Types.ObjectId(memberId) }).lean<MemberCardLinkDoc>();
    if (!link) return null;
    const member = await this.deps.members.findById(link.memberId, { cardNo: 1 }).lean<MemberDoc>();
    return linkView(link, member?.cardNo ?? null);
  }

  private async answerExisting(link: MemberCardLinkDoc, memberId: string, code: string) {
    if (String(link.memberId) !== memberId) throw new AppError(ErrorCode.CONFLICT, 'This card is already linked to another member.');
    if (link.code !== code) throw new AppError(ErrorCode.CONFLICT, 'You already have the member card in your WeChat wallet.');
    const member = await this.deps.members.findById(link.memberId, { cardNo: 1 }).lean<MemberDoc>();
    return linkView(link, member?.cardNo ?? null);
  }

  /** The member behind the shopper, joining them first when they are not one yet (the join page's rules). */
  private async memberFor(memberId: string, body: ActivateBody): Promise<MemberDoc> {
    const current = await this.deps.membersService.load(memberId, ['prospect', 'active']);
    if (current.status === 'active') return current;
    if (!body.acceptTerms || !body.privacyPolicyVersion) {
      throw errors.validation('Joining with the card needs the charter accepted.', { fields: [{ field: 'body.acceptTerms', message: 'Required to join' }] });
    }
    try {
      await this.deps.membersService.join(memberId, { acceptTerms: true, privacyPolicyVersion: body.privacyPolicyVersion, ...(body.homeStoreId ? { homeStoreId: body.homeStoreId } : {}) });
    } catch (error) {
      // A parallel activation joined them first.
      if (!(error instanceof AppError && error.code === ErrorCode.ALREADY_MEMBER)) throw error;
    }
    return this.deps.membersService.load(memberId, ['active']);
  }

  /** A WeChat call on the shopper's behalf: its refusal of what they sent is a 400, not a 500. */
  private async weChatCall<T>(call: () => Promise<T>, message: string): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof WeChatApiError && error.errcode !== -1 && error.errcode !== 45009 && error.errcode !== 45011) {
        throw new AppError(ErrorCode.CODE_INVALID, message, { errcode: error.errcode });
      }
      throw new AppError(ErrorCode.RATE_LIMITED, 'WeChat is busy; try again in a moment.', { retryAfterSeconds: 5 });
    }
  }

  colourHex(colour: string): string {
    return CARD_COLOURS[colour] ?? CARD_COLOURS.Color010!;
  }
}

function linkView(link: MemberCardLinkDoc, cardNo: string | null) {
  return { status: link.status, cardId: link.cardId, code: link.code, membershipNumber: cardNo };
}

export function designView(design: MemberCardDesignDoc): CardDesignBody {
  return {
    brandName: design.brandName, title: design.title, logoUrl: design.logoUrl, colour: design.colour, backgroundUrl: design.backgroundUrl,
    tierArt: (design.tierArt ?? []).map(({ tier, backgroundUrl }) => ({ tier, backgroundUrl })), benefits: design.benefits, notice: design.notice,
    description: design.description, servicePhone: design.servicePhone ?? null, miniProgramUserName: design.miniProgramUserName, codePage: design.codePage,
  };
}

