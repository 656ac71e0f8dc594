import mongoose, { Schema, type Types } from 'mongoose';

/**
 * The WeChat member card (会员卡 in 微信卡包; docs/wechat-member-card.md): HQ's one card design, the link of
 * each member to the card code in their WeChat wallet, and the sync's mark through changed members.
 */

/** WeChat's named card colours (card/getcolors) and the hex each shows as, for the console's preview. */
export const CARD_COLOURS: Record<string, string> = {
  Color010: '#63b359', Color020: '#2c9f67', Color030: '#509fc9', Color040: '#5885cf', Color050: '#9062c0', Color060: '#d09a45',
  Color070: '#e4b138', Color080: '#ee903c', Color081: '#f08500', Color082: '#a9d92d', Color090: '#dd6549', Color100: '#cc463d',
};

export interface MemberCardDesignDoc {
  _id: 'card';
  brandName: string;
  title: string;
  logoUrl: string;
  colour: string;
  /** The card art members get when their tier has none of its own. */
  backgroundUrl: string;
  /** Card art per tier code. */
  tierArt: Array<{ tier: string; backgroundUrl: string }>;
  /** 会员卡特权说明: the benefits text on the card. */
  benefits: string;
  notice: string;
  description: string;
  servicePhone: string | null;
  /** The mini-program's original id (`gh_…@app`): the card's 会员码 button opens `codePage` in it. */
  miniProgramUserName: string;
  codePage: string;
  /** WeChat's card_id once card/create succeeded. */
  cardId: string | null;
  publishedAt: Date | null;
  /** What WeChat answered the last card/create or card/update with, when it refused. */
  publishError: { errcode: number | null; message: string; at: Date } | null;
  updatedAt: Date;
}

/** What the card shows a member; the sync sends updateuser only when this changes. */
export interface CardFace {
  bonus: number;
  tierName: string;
  backgroundUrl: string;
  /** The stored-value balance in fen, where the programme has stored value; null: the card shows none. */
  balanceFen: number | null;
}

export interface MemberCardLinkDoc {
  _id: Types.ObjectId;
  memberId: Types.ObjectId;
  cardId: string;
  code: string;
  /** The channel the shopper opened the card from (activate/geturl's outer_str): `store:SH01`, `pay`… */
  outerStr: string | null;
  /**
   * `activating` until card/membercard/activate succeeded (whoever holds `leaseUntil` calls it); `active`
   * while the card is in the wallet; `removed` once WeChat says the code is gone (the shopper deleted it).
   */
  status: 'activating' | 'active' | 'removed';
  leaseUntil: Date | null;
  shown: CardFace | null;
  /** The face differs from what the member's card should show; `dirtyAt` tells a later change from the one being sent. */
  dirty: boolean;
  dirtyAt: Date | null;
  nextAttemptAt: Date | null;
  failures: number;
  lastError: { errcode: number | null; message: string; at: Date } | null;
  lastSyncedAt: Date | null;
  syncs: number;
  createdAt: Date;
  activatedAt: Date | null;
}

interface MarkDoc {
  _id: string;
  updatedAt: Date;
  /** The programme settings (tier names) as of the last run: a change looks at every card again. */
  settingsAt?: Date | null;
}

const ErrorSchema = { errcode: { type: Number, default: null }, message: String, at: Date };

const DesignSchema = new Schema<MemberCardDesignDoc>(
  {
    _id: String,
    brandName: String,
    title: String,
    logoUrl: String,
    colour: String,
    backgroundUrl: String,
    tierArt: { type: [{ _id: false, tier: String, backgroundUrl: String }], default: [] },
    benefits: String,
    notice: String,
    description: String,
    servicePhone: { type: String, default: null },
    miniProgramUserName: String,
    codePage: String,
    cardId: { type: String, default: null },
    publishedAt: { type: Date, default: null },
    publishError: { type: ErrorSchema, default: null, _id: false },
    updatedAt: Date,
  },
  { versionKey: false, collection: 'wechat_member_card_designs' },
);

const LinkSchema = new Schema<MemberCardLinkDoc>(
  {
    memberId: { type: Schema.Types.ObjectId, required: true },
    cardId: { type: String, required: true },
    code: { type: String, required: true },
    outerStr: { type: String, default: null },
    status: { type: String, enum: ['activating', 'active', 'removed'], required: true },
    leaseUntil: { type: Date, default: null },
    shown: { type: { bonus: Number, tierName: String, backgroundUrl: String, balanceFen: { type: Number, default: null } }, default: null, _id: false },
    dirty: { type: Boolean, default: false },
    dirtyAt: { type: Date, default: null },
    nextAttemptAt: { type: Date, default: null },
    failures: { type: Number, default: 0 },
    lastError: { type: ErrorSchema, default: null, _id: false },
    lastSyncedAt: { type: Date, default: null },
    syncs: { type: Number, default: 0 },
    createdAt: { type: Date, required: true },
    activatedAt: { type: Date, default: null },
  },
  { versionKey: false, collection: 'wechat_member_card_links' },
);
// One card per member, and one member per card code: parallel activations end with one link.
LinkSchema.index({ memberId: 1 }, { unique: true });
LinkSchema.index({ cardId: 1, code: 1 }, { unique: true });
// The sync's queue of cards to update, and activations left half-done.
LinkSchema.index({ dirty: 1, nextAttemptAt: 1 }, { partialFilterExpression: { dirty: true } });
LinkSchema.index({ status: 1, leaseUntil: 1 });
// The console's failures list.
LinkSchema.index({ failures: -1 }, { partialFilterExpression: { failures: { $gt: 0 } } });

const MarkSchema = new Schema<MarkDoc>({ _id: String, updatedAt: Date, settingsAt: { type: Date, default: null } }, { versionKey: false, collection: 'wechat_member_card_marks' });

export function memberCardDesignModel(conn: mongoose.Connection) {
  return (conn.models.MemberCardDesign ?? conn.model<MemberCardDesignDoc>('MemberCardDesign', DesignSchema)) as mongoose.Model<MemberCardDesignDoc>;
}

export function memberCardLinkModel(conn: mongoose.Connection) {
  return (conn.models.MemberCardLink ?? conn.model<MemberCardLinkDoc>('MemberCardLink', LinkSchema)) as mongoose.Model<MemberCardLinkDoc>;
}

export function memberCardMarkModel(conn: mongoose.Connection) {
  return (conn.models.MemberCardMark ?? conn.model<MarkDoc>('MemberCardMark', MarkSchema)) as mongoose.Model<MarkDoc>;
}
