// The card/... APIs of api.weixin.qq.com the member card uses (docs/wechat-member-card.md §1–3), called
// through the product's WeChat client with its shared access token. Plain request/answer shapes, no rules.

/** What the WeChat client offers for these calls (WeChatClient.postWithAccessToken). */
export interface MemberCardWeChatApi {
  postWithAccessToken<T>(api: string, path: string, body: unknown): Promise<T>;
}

export interface UpdateUserRequest {
  card_id: string;
  code: string;
  bonus: number;
  add_bonus?: number;
  record_bonus?: string;
  balance?: number;
  add_balance?: number;
  record_balance?: string;
  custom_field_value1?: string;
  background_pic_url?: string;
  notify_optional: { is_notify_bonus: boolean; is_notify_balance: boolean; is_notify_custom_field1: boolean };
}

export class MemberCardApi {
  constructor(private readonly wechat: MemberCardWeChatApi) {}

  async createCard(memberCard: Record<string, unknown>): Promise<string> {
    const answer = await this.wechat.postWithAccessToken<{ card_id?: string }>('card/create', '/card/create', { card: { card_type: 'MEMBER_CARD', member_card: memberCard } });
    if (!answer.card_id) throw new Error('card/create answered without card_id');
    return answer.card_id;
  }

  async updateCard(cardId: string, memberCard: Record<string, unknown>): Promise<void> {
    await this.wechat.postWithAccessToken('card/update', '/card/update', { card_id: cardId, member_card: memberCard });
  }

  /** The card-opening component's parameters, read from the URL WeChat answers (encrypt_card_id, outer_str, biz). */
  async activateUrl(cardId: string, outerStr: string): Promise<{ encrypt_card_id: string; outer_str: string; biz: string }> {
    const answer = await this.wechat.postWithAccessToken<{ url?: string }>('activate/geturl', '/card/membercard/activate/geturl', { card_id: cardId, outer_str: outerStr });
    if (!answer.url) throw new Error('activate/geturl answered without url');
    // The query follows `?` and ends at `#wechat_redirect`; WeChat writes `&&` between some pairs.
    const query = new URLSearchParams(answer.url.split('#')[0]!.split('?')[1] ?? '');
    const encryptCardId = query.get('encrypt_card_id');
    const biz = query.get('biz');
    if (!encryptCardId || !biz) throw new Error('activate/geturl answered a URL without encrypt_card_id/biz');
    return { encrypt_card_id: encryptCardId, outer_str: query.get('outer_str') ?? outerStr, biz };
  }

  /** What the shopper filled into the card's form; throws WeChatApiError for an unknown or used ticket. */
  async activateTempInfo(activateTicket: string): Promise<{ mobile: string | null }> {
    const answer = await this.wechat.postWithAccessToken<{ info?: { common_field_list?: Array<{ name: string; value: string }> } }>(
      'activatetempinfo/get', '/card/membercard/activatetempinfo/get', { activate_ticket: activateTicket },
    );
    const mobile = answer.info?.common_field_list?.find((field) => field.name === 'USER_FORM_INFO_FLAG_MOBILE')?.value ?? null;
    return { mobile };
  }

  async decryptCode(encryptCode: string): Promise<string> {
    const answer = await this.wechat.postWithAccessToken<{ code?: string }>('code/decrypt', '/card/code/decrypt', { encrypt_code: encryptCode });
    if (!answer.code) throw new Error('code/decrypt answered without code');
    return answer.code;
  }

  async activate(request: { card_id: string; code: string; membership_number: string; init_bonus: number; init_balance?: number; init_custom_field_value1: string; background_pic_url?: string }): Promise<void> {
    await this.wechat.postWithAccessToken('membercard/activate', '/card/membercard/activate', request);
  }

  async updateUser(request: UpdateUserRequest): Promise<void> {
    await this.wechat.postWithAccessToken('membercard/updateuser', '/card/membercard/updateuser', request);
  }
}
