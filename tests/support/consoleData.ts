// Data the console e2e tests need, made through the public API as people would make it: a member who
// bought, got a coupon and redeemed it, signed up for an activity and was checked in; a launched campaign;
// and so the audit entries those writes leave.

export interface ConsoleData {
  hqToken: string;
  clerkToken: string;
  memberId: string;
  memberName: string;
  memberToken: string;
  templateId: string;
  templateTitle: string;
  activityId: string;
  campaignId: string;
  orderNo: string;
}

export interface ApiOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** The API as the tests call it: the answer's JSON (undefined for an empty answer), or a throw naming any status ≥ 400. */
export interface Api {
  <T = any>(method: string, path: string, options?: ApiOptions): Promise<T>;
  /** The response as it came, whatever its status: for a test that asserts a refusal or reads a non-JSON body (CSV). */
  raw(method: string, path: string, options?: ApiOptions): Promise<Response>;
}

/** The API of the server at `baseUrl`; a function when the server starts later (a describe's beforeAll). */
export function apiAt(baseUrl: string | (() => string)): Api {
  const raw = (method: string, path: string, { token, body, headers }: ApiOptions = {}) =>
    fetch(`${typeof baseUrl === 'string' ? baseUrl : baseUrl()}/api/v1${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const api = async (method: string, path: string, options?: ApiOptions) => {
    const response = await raw(method, path, options);
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as any;
  };
  return Object.assign(api, { raw });
}

export async function makeConsoleData(api: Api, tag: string): Promise<ConsoleData> {
  const hqToken = (await api('POST', '/auth/admin', { body: { username: 'hq', password: 'hq-demo-pass' } })).token as string;
  const clerkToken = (await api('POST', '/auth/staff', { body: { username: 'sh01-clerk', password: 'staff-demo-pass' } })).token as string;
  const { privacyPolicyVersion } = await api('GET', '/app-config');

  const memberToken = (await api('POST', '/auth/wechat', { body: { code: `${tag}-member` } })).token as string;
  const member = await api('POST', '/me/membership', { token: memberToken, body: { acceptTerms: true, privacyPolicyVersion, homeStoreId: 'SH01' } });
  const memberName = '林晓雨';
  await api('PATCH', '/me/profile', { token: memberToken, body: { name: memberName } });

  const orderNo = `${tag}-order-1`;
  const { code: memberCode } = await api('GET', '/me/member-code', { token: memberToken });
  await api('POST', '/staff/purchases', { token: clerkToken, body: { memberCode, orderNo, amountFen: 26_800 } });

  // A coupon granted by HQ and redeemed at the till.
  const templateTitle = `满200减30（${tag}）`;
  const template = await api('POST', '/admin/coupon-templates', { token: hqToken, body: { title: templateTitle, type: 'cash', minSpendFen: 20_000, amountOffFen: 3_000, validDays: 30, totalQuantity: 100, perMemberLimit: 2 } });
  const coupon = await api('POST', `/admin/coupon-templates/${template.id}/grants`, { token: hqToken, body: { memberId: member.id }, headers: { 'Idempotency-Key': `${tag}-grant` } });
  const { code: couponCode } = await api('GET', `/me/coupons/${coupon.id}/code`, { token: memberToken });
  await api('POST', '/staff/redemptions', { token: clerkToken, body: { code: couponCode, orderNo: `${tag}-order-2`, orderAmountFen: 25_000 } });

  // An activity starting within the check-in window, signed up for and checked in.
  const now = Date.now();
  const activity = await api('POST', '/admin/activities', {
    token: hqToken,
    body: {
      title: `咖啡品鉴会（${tag}）`,
      description: '门店咖啡师带你品尝三款单品豆',
      storeId: 'SH01',
      startAt: new Date(now + 60 * 60_000).toISOString(),
      endAt: new Date(now + 3 * 60 * 60_000).toISOString(),
      signupClosesAt: new Date(now + 30 * 60_000).toISOString(),
      capacity: 20,
      feeFen: 0,
      attendancePoints: 20,
    },
  });
  if (activity.status === 'draft') await api('POST', `/admin/activities/${activity.id}/publish`, { token: hqToken, body: {} });
  const signup = await api('POST', `/activities/${activity.id}/signups`, { token: memberToken, body: {} });
  const { code: signupCode } = await api('GET', `/me/signups/${signup.id}/code`, { token: memberToken });
  await api('POST', '/staff/checkins', { token: clerkToken, body: { code: signupCode } });

  // A campaign pushed to every member.
  const campaign = await api('POST', '/admin/campaigns', { token: hqToken, body: { name: `周末回馈（${tag}）`, templateId: template.id, segment: {} } });
  await api('POST', `/admin/campaigns/${campaign.id}/launch`, { token: hqToken, body: {} });

  return { hqToken, clerkToken, memberId: member.id, memberName, memberToken, templateId: template.id, templateTitle, activityId: activity.id, campaignId: campaign.id, orderNo };
}
