import { randomBytes, randomInt } from 'node:crypto';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { parseJsonObject, readRawBody, type EmulatorContext } from './context';
import type { EmulatorState } from './store';

// The WeChat member card (会员卡) as api.weixin.qq.com plays it, with the shapes and errcodes written down in
// docs/wechat-member-card.md: card/create and card/update, the card-opening component (activate/geturl, the
// shopper's form, activatetempinfo/get), card/membercard/activate, updateuser (a per-minute limit and
// injectable failures), userinfo/get, code/get and code/decrypt. What the shopper's WeChat does instead of a
// person, and what tests read:
//   POST /card/open {openid, encrypt_card_id, outer_str?, mobile?}  (tap the component, fill the form, tap 激活:
//        answers what App.onShow receives in referrerInfo, plus the encrypt_code a jump-type card would pass)
//   POST /card/delete {card_id, code}           (the shopper deletes the card from the wallet)
//   POST /card/updateuser-failures {errcodes}   (the next updateuser calls answer these, e.g. -1 system busy)
//   POST /card/limits {updateuserPerMinute}     (WeChat's limit as the emulator enforces it; default 1000)
//   GET  /card/user-cards?card_id=   GET /card/events   GET /card/stats

/** The card-opening component's fixed appid (D/miniprogram/dev/framework/open-ability/card/membership-card.html). */
export const CARD_COMPONENT_APPID = 'wxeb490c6f9b154ef9';

interface EmulatedCard {
  card_id: string;
  member_card: Record<string, unknown>;
  encrypt_card_id: string;
  created_at: string;
  updated_at: string;
}

export interface EmulatedUserCard {
  card_id: string;
  code: string;
  openid: string;
  outer_str: string;
  status: 'NOT_ACTIVATED' | 'NORMAL' | 'DELETE';
  membership_number?: string;
  bonus: number;
  balance: number;
  custom_field_value1?: string;
  custom_field_value2?: string;
  custom_field_value3?: string;
  background_pic_url?: string;
  mobile?: string;
  /** updateuser calls applied, and the last change message WeChat would have sent the shopper. */
  updates: number;
  last_message?: { add_bonus?: number; record_bonus?: string; at: string };
}

interface CardEvent {
  Event: 'user_get_card' | 'submit_membercard_user_info' | 'user_del_card';
  FromUserName: string;
  CardId: string;
  UserCardCode: string;
  OuterStr?: string;
  CreateTime: number;
}

interface MemberCardState {
  cards: Record<string, EmulatedCard>;
  /** `${card_id}:${code}` → the card in a shopper's wallet. */
  userCards: Record<string, EmulatedUserCard>;
  /** activate_ticket → what the shopper filled in (WeChat accepts a ticket for a while; the emulator keeps it). */
  tickets: Record<string, { card_id: string; code: string; mobile?: string }>;
  /** encrypt_code → code. */
  encryptedCodes: Record<string, string>;
  events: CardEvent[];
}

export interface MemberCardStats {
  createRequests: number;
  updateCardRequests: number;
  activateRequests: number;
  activateRefused: number;
  updateUserRequests: number;
  updateUserApplied: number;
  updateUserRateLimited: number;
  updateUserInjectedFailures: number;
}

const NAMED_COLOURS = /^Color(0[1-9]0|08[12]|100)$/;
const CODE_TYPES = new Set(['CODE_TYPE_TEXT', 'CODE_TYPE_QRCODE', 'CODE_TYPE_ONLY_QRCODE', 'CODE_TYPE_BARCODE', 'CODE_TYPE_ONLY_BARCODE', 'CODE_TYPE_NONE']);
/** custom_field_value* and init_custom_field_value*: 4 Chinese characters, 12 bytes. */
const CUSTOM_VALUE_BYTES = 12;
const RECORD_CHARS = 14;
const KEPT_EVENTS = 500;

export function registerMemberCardRoutes(router: Router, emulator: EmulatorContext, access: { checkAccessToken(ctx: Context): boolean }): void {
  // Kept in the emulator's state file beside its other state, so a demo restart keeps the cards.
  const holder = emulator.store.state as EmulatorState & { memberCards?: MemberCardState };
  const state = (holder.memberCards ??= { cards: {}, userCards: {}, tickets: {}, encryptedCodes: {}, events: [] });
  const stats: MemberCardStats = {
    createRequests: 0, updateCardRequests: 0, activateRequests: 0, activateRefused: 0,
    updateUserRequests: 0, updateUserApplied: 0, updateUserRateLimited: 0, updateUserInjectedFailures: 0,
  };
  let updateUserPerMinute = 1000;
  const window = { start: 0, count: 0 };
  const injectedFailures: number[] = [];

  const save = () => emulator.store.save();
  const weChatError = (ctx: Context, errcode: number, errmsg: string) => {
    ctx.status = 200;
    ctx.body = { errcode, errmsg: `${errmsg} rid: ${randomBytes(4).toString('hex')}` };
  };
  const ok = (ctx: Context, body: Record<string, unknown> = {}) => {
    ctx.status = 200;
    ctx.body = { errcode: 0, errmsg: 'ok', ...body };
  };
  /** Token check and JSON body, as every card API starts; null when an answer was already given. */
  const readCall = async (ctx: Context): Promise<Record<string, unknown> | null> => {
    if (!access.checkAccessToken(ctx)) return null;
    const body = parseJsonObject(await readRawBody(ctx));
    if (!body) {
      weChatError(ctx, 47001, 'data format error');
      return null;
    }
    return body;
  };
  const userCardOf = (cardId: unknown, code: unknown): EmulatedUserCard | undefined =>
    typeof cardId === 'string' && typeof code === 'string' ? state.userCards[`${cardId}:${code}`] : undefined;
  const recordEvent = (event: Omit<CardEvent, 'CreateTime'>) => {
    state.events.push({ ...event, CreateTime: Math.floor(Date.now() / 1000) });
    if (state.events.length > KEPT_EVENTS) state.events.splice(0, state.events.length - KEPT_EVENTS);
  };

  /** What card/create and card/update check of member_card; the first problem, or null. */
  const memberCardProblem = (memberCard: Record<string, unknown>, creating: boolean): string | null => {
    const base = memberCard.base_info as Record<string, unknown> | undefined;
    if (creating) {
      if (typeof memberCard.supply_bonus !== 'boolean') return 'supply_bonus';
      if (typeof memberCard.supply_balance !== 'boolean') return 'supply_balance';
      if (typeof memberCard.prerogative !== 'string' || !memberCard.prerogative) return 'prerogative';
      if (!base) return 'base_info';
      for (const field of ['logo_url', 'brand_name', 'title', 'code_type', 'color', 'notice', 'description']) {
        if (typeof base[field] !== 'string' || !base[field]) return `base_info.${field}`;
      }
    }
    if (base) {
      if (base.color !== undefined && (typeof base.color !== 'string' || !NAMED_COLOURS.test(base.color))) return 'base_info.color';
      if (base.code_type !== undefined && (typeof base.code_type !== 'string' || !CODE_TYPES.has(base.code_type))) return 'base_info.code_type';
      if (typeof base.brand_name === 'string' && [...base.brand_name].length > 12) return 'base_info.brand_name';
      if (typeof base.title === 'string' && [...base.title].length > 9) return 'base_info.title';
    }
    for (const url of [memberCard.background_pic_url, base?.logo_url]) {
      if (url !== undefined && (typeof url !== 'string' || !/^https?:\/\//.test(url))) return 'url';
    }
    return null;
  };

  router.post('/card/create', async (ctx) => {
    const body = await readCall(ctx);
    if (!body) return;
    stats.createRequests += 1;
    const card = body.card as Record<string, unknown> | undefined;
    if (!card || card.card_type !== 'MEMBER_CARD' || typeof card.member_card !== 'object' || card.member_card === null) {
      return weChatError(ctx, 47001, 'data format error: card.card_type MEMBER_CARD with member_card');
    }
    const memberCard = card.member_card as Record<string, unknown>;
    const problem = memberCardProblem(memberCard, true);
    if (problem) return weChatError(ctx, 47001, `data format error: ${problem}`);
    const cardId = `p${randomBytes(20).toString('base64url').slice(0, 27)}`;
    const now = new Date().toISOString();
    state.cards[cardId] = { card_id: cardId, member_card: memberCard, encrypt_card_id: randomBytes(24).toString('base64'), created_at: now, updated_at: now };
    save();
    ok(ctx, { card_id: cardId });
  });

  router.post('/card/update', async (ctx) => {
    const body = await readCall(ctx);
    if (!body) return;
    stats.updateCardRequests += 1;
    const card = typeof body.card_id === 'string' ? state.cards[body.card_id] : undefined;
    if (!card) return weChatError(ctx, 40073, 'invalid card id');
    const patch = body.member_card as Record<string, unknown> | undefined;
    if (!patch || typeof patch !== 'object') return weChatError(ctx, 47001, 'data format error: member_card');
    const problem = memberCardProblem(patch, false);
    if (problem) return weChatError(ctx, 47001, `data format error: ${problem}`);
    const base = { ...(card.member_card.base_info as object), ...(patch.base_info as object | undefined) };
    card.member_card = { ...card.member_card, ...patch, base_info: base };
    card.updated_at = new Date().toISOString();
    save();
    ok(ctx, { send_check: false });
  });

  router.post('/card/membercard/activate/geturl', async (ctx) => {
    const body = await readCall(ctx);
    if (!body) return;
    const card = typeof body.card_id === 'string' ? state.cards[body.card_id] : undefined;
    if (!card) return weChatError(ctx, 40073, 'invalid card id');
    const outerStr = typeof body.outer_str === 'string' ? body.outer_str : '';
    const query = `action=preshow&&encrypt_card_id=${encodeURIComponent(card.encrypt_card_id)}&outer_str=${encodeURIComponent(outerStr)}&biz=${encodeURIComponent(Buffer.from(emulator.options.appId).toString('base64'))}`;
    ok(ctx, { url: `https://mp.weixin.qq.com/bizmall/activatemembercard?${query}#wechat_redirect` });
  });

  // The shopper in the component: takes the card (one per WeChat user, as get_limit 1), fills the form and taps 激活.
  router.post('/card/open', async (ctx) => {
    const body = parseJsonObject(await readRawBody(ctx)) ?? {};
    const { openid, encrypt_card_id: encryptCardId } = body;
    const card = Object.values(state.cards).find((candidate) => candidate.encrypt_card_id === encryptCardId);
    if (typeof openid !== 'string' || !openid || !card) {
      ctx.status = 400;
      ctx.body = { error: 'openid and the encrypt_card_id of an emulated card are required' };
      return;
    }
    const outerStr = typeof body.outer_str === 'string' ? body.outer_str : '';
    let userCard = Object.values(state.userCards).find((held) => held.card_id === card.card_id && held.openid === openid && held.status !== 'DELETE');
    if (!userCard) {
      let code: string;
      do code = String(randomInt(100_000, 1_000_000)) + String(randomInt(0, 1_000_000)).padStart(6, '0');
      while (state.userCards[`${card.card_id}:${code}`]);
      userCard = { card_id: card.card_id, code, openid, outer_str: outerStr, status: 'NOT_ACTIVATED', bonus: 0, balance: 0, updates: 0 };
      state.userCards[`${card.card_id}:${code}`] = userCard;
      recordEvent({ Event: 'user_get_card', FromUserName: openid, CardId: card.card_id, UserCardCode: code, OuterStr: outerStr });
    }
    if (typeof body.mobile === 'string') userCard.mobile = body.mobile;
    const ticket = randomBytes(24).toString('base64url');
    state.tickets[ticket] = { card_id: card.card_id, code: userCard.code, ...(userCard.mobile ? { mobile: userCard.mobile } : {}) };
    const encryptCode = randomBytes(24).toString('base64');
    state.encryptedCodes[encryptCode] = userCard.code;
    recordEvent({ Event: 'submit_membercard_user_info', FromUserName: openid, CardId: card.card_id, UserCardCode: userCard.code });
    save();
    ctx.body = {
      referrerInfo: { appId: CARD_COMPONENT_APPID, extraData: { activate_ticket: ticket, card_id: card.card_id, code: userCard.code } },
      encrypt_code: encryptCode,
    };
  });

  router.post('/card/membercard/activatetempinfo/get', async (ctx) => {
    const body = await readCall(ctx);
    if (!body) return;
    const ticket = typeof body.activate_ticket === 'string' ? state.tickets[body.activate_ticket] : undefined;
    if (!ticket) return weChatError(ctx, 40097, 'invalid activate_ticket');
    const commonFields = ticket.mobile ? [{ name: 'USER_FORM_INFO_FLAG_MOBILE', value: ticket.mobile }] : [];
    ok(ctx, { info: { common_field_list: commonFields, custom_field_list: [] } });
  });

  router.post('/card/code/decrypt', async (ctx) => {
    const body = await readCall(ctx);
    if (!body) return;
    const code = typeof body.encrypt_code === 'string' ? state.encryptedCodes[body.encrypt_code] : undefined;
    if (!code) return weChatError(ctx, 40056, 'invalid code');
    ok(ctx, { code });
  });

  router.post('/card/code/get', async (ctx) => {
    const body = await readCall(ctx);
    if (!body) return;
    const held = userCardOf(body.card_id, body.code);
    if (!held) return weChatError(ctx, 40056, 'invalid code');
    if (held.status === 'DELETE') return weChatError(ctx, 40127, 'invalid user-card status');
    ok(ctx, { card: { card_id: held.card_id, begin_time: 0, end_time: 0 }, openid: held.openid, can_consume: true, outer_str: held.outer_str, user_card_status: 'NORMAL' });
  });

  router.post('/card/membercard/activate', async (ctx) => {
    const body = await readCall(ctx);
    if (!body) return;
    stats.activateRequests += 1;
    const held = userCardOf(body.card_id, body.code);
    const refuse = (errcode: number, errmsg: string) => {
      stats.activateRefused += 1;
      weChatError(ctx, errcode, errmsg);
    };
    if (!held) return refuse(40056, 'invalid code');
    if (held.status !== 'NOT_ACTIVATED') return refuse(40099, 'invalid code, this code has activated');
    if (typeof body.membership_number !== 'string' || !/^[0-9A-Za-z!-/:-@[-`{-~]{1,32}$/.test(body.membership_number)) return refuse(47001, 'data format error: membership_number');
    const bonus = body.init_bonus ?? 0;
    if (!Number.isInteger(bonus) || (bonus as number) < 0) return refuse(47001, 'data format error: init_bonus');
    for (const n of [1, 2, 3]) {
      const value = body[`init_custom_field_value${n}`];
      if (value !== undefined && (typeof value !== 'string' || Buffer.byteLength(value) > CUSTOM_VALUE_BYTES)) return refuse(47001, `data format error: init_custom_field_value${n}`);
      if (typeof value === 'string') held[`custom_field_value${n}` as 'custom_field_value1'] = value;
    }
    held.status = 'NORMAL';
    held.membership_number = body.membership_number;
    held.bonus = bonus as number;
    if (typeof body.init_balance === 'number') held.balance = body.init_balance;
    if (typeof body.background_pic_url === 'string') held.background_pic_url = body.background_pic_url;
    save();
    ok(ctx);
  });

  router.post('/card/membercard/updateuser', async (ctx) => {
    const body = await readCall(ctx);
    if (!body) return;
    stats.updateUserRequests += 1;
    const now = Date.now();
    // The limit's minute runs at the emulator's time scale, so tests need not wait a real minute.
    if (now - window.start >= 60_000 * emulator.options.timeScale) {
      window.start = now;
      window.count = 0;
    }
    window.count += 1;
    if (window.count > updateUserPerMinute) {
      stats.updateUserRateLimited += 1;
      return weChatError(ctx, 45011, 'api minute-quota reach limit mustslower retry next minute');
    }
    const injected = injectedFailures.shift();
    if (injected !== undefined) {
      stats.updateUserInjectedFailures += 1;
      return weChatError(ctx, injected, injected === -1 ? 'system error' : 'injected failure');
    }
    const held = userCardOf(body.card_id, body.code);
    if (!held) return weChatError(ctx, 40056, 'invalid code');
    if (held.status !== 'NORMAL') return weChatError(ctx, 40127, 'invalid user-card status');
    for (const field of ['bonus', 'add_bonus', 'balance', 'add_balance']) {
      if (body[field] !== undefined && !Number.isInteger(body[field])) return weChatError(ctx, 47001, `data format error: ${field}`);
    }
    if ((typeof body.bonus === 'number' && body.bonus < 0) || (typeof body.balance === 'number' && body.balance < 0)) return weChatError(ctx, 47001, 'data format error: negative total');
    for (const field of ['record_bonus', 'record_balance']) {
      if (body[field] !== undefined && (typeof body[field] !== 'string' || [...(body[field] as string)].length > RECORD_CHARS)) return weChatError(ctx, 47001, `data format error: ${field}`);
    }
    for (const n of [1, 2, 3]) {
      const value = body[`custom_field_value${n}`];
      if (value !== undefined && (typeof value !== 'string' || Buffer.byteLength(value) > CUSTOM_VALUE_BYTES)) return weChatError(ctx, 47001, `data format error: custom_field_value${n}`);
    }
    // bonus/balance are the totals the card shows; add_* only word the message when the totals are given too.
    held.bonus = typeof body.bonus === 'number' ? body.bonus : held.bonus + ((body.add_bonus as number | undefined) ?? 0);
    held.balance = typeof body.balance === 'number' ? body.balance : held.balance + ((body.add_balance as number | undefined) ?? 0);
    for (const n of [1, 2, 3] as const) {
      const value = body[`custom_field_value${n}`];
      if (typeof value === 'string') held[`custom_field_value${n}`] = value;
    }
    if (typeof body.background_pic_url === 'string') held.background_pic_url = body.background_pic_url;
    held.updates += 1;
    const notify = (body.notify_optional as { is_notify_bonus?: boolean } | undefined)?.is_notify_bonus !== false;
    if (notify && typeof body.add_bonus === 'number' && body.add_bonus !== 0) {
      held.last_message = { add_bonus: body.add_bonus, ...(typeof body.record_bonus === 'string' ? { record_bonus: body.record_bonus } : {}), at: new Date().toISOString() };
    }
    stats.updateUserApplied += 1;
    save();
    ok(ctx, { result_bonus: held.bonus, result_balance: held.balance, openid: held.openid });
  });

  router.post('/card/membercard/userinfo/get', async (ctx) => {
    const body = await readCall(ctx);
    if (!body) return;
    const held = userCardOf(body.card_id, body.code);
    if (!held) return weChatError(ctx, 40056, 'invalid code');
    ok(ctx, {
      openid: held.openid, membership_number: held.membership_number ?? '', bonus: held.bonus, balance: held.balance,
      user_info: { common_field_list: held.mobile ? [{ name: 'USER_FORM_INFO_FLAG_MOBILE', value: held.mobile }] : [], custom_field_list: [] },
      user_card_status: held.status === 'DELETE' ? 'DELETE' : 'NORMAL',
    });
  });

  // The shopper deletes the card from their wallet (user_del_card): WeChat then refuses updates to its code.
  router.post('/card/delete', async (ctx) => {
    const body = parseJsonObject(await readRawBody(ctx)) ?? {};
    const held = userCardOf(body.card_id, body.code);
    if (!held) {
      ctx.status = 404;
      return;
    }
    held.status = 'DELETE';
    recordEvent({ Event: 'user_del_card', FromUserName: held.openid, CardId: held.card_id, UserCardCode: held.code });
    save();
    ctx.status = 204;
  });
  router.post('/card/updateuser-failures', async (ctx) => {
    const body = parseJsonObject(await readRawBody(ctx)) ?? {};
    const errcodes = Array.isArray(body.errcodes) ? body.errcodes.filter((code): code is number => Number.isInteger(code)) : [];
    injectedFailures.push(...errcodes);
    ctx.status = 204;
  });
  router.post('/card/limits', async (ctx) => {
    const body = parseJsonObject(await readRawBody(ctx)) ?? {};
    if (Number.isInteger(body.updateuserPerMinute) && (body.updateuserPerMinute as number) > 0) updateUserPerMinute = body.updateuserPerMinute as number;
    ctx.status = 204;
  });
  router.get('/card/user-cards', (ctx) => {
    const cardId = typeof ctx.query.card_id === 'string' ? ctx.query.card_id : null;
    ctx.body = Object.values(state.userCards).filter((held) => !cardId || held.card_id === cardId);
  });
  router.get('/card/cards/:cardId', (ctx) => {
    const card = state.cards[ctx.params.cardId!];
    if (!card) ctx.status = 404;
    else ctx.body = card;
  });
  router.get('/card/events', (ctx) => {
    ctx.body = state.events;
  });
  router.get('/card/stats', (ctx) => {
    ctx.body = stats;
  });
}
