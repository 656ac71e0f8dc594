import {
  ACTIVITY_STATUS_LABELS,
  AUDIT_ACTIONS,
  AUDIT_TARGET_LABELS,
  AUTOMATION_RULE_KIND_LABELS,
  CAMPAIGN_STATUS_LABELS,
  CODE_BATCH_STATUS_LABELS,
  COUPON_STATUS_LABELS,
  COUPON_TEMPLATE_STATUS_LABELS,
  COUPON_TYPE_LABELS,
  ENTRY_SOURCE_LABELS,
  GENDER_LABELS,
  HQ_ROLE_LABELS,
  LEDGER_SOURCE_LABELS,
  NO_STORE_KEY,
  PAYMENT_ALERT_KIND_LABELS,
  POS_KEY_STATUS_LABELS,
  POS_ORDER_STATUS_LABELS,
  PURCHASE_STATUS_LABELS,
  REDEMPTION_STATUS_LABELS,
  SIGNUP_PAYMENT_STATUS_LABELS,
  SIGNUP_STATUS_LABELS,
  STAFF_ROLE_LABELS,
  WEBHOOK_DELIVERY_STATUS_LABELS,
  WEBHOOK_ENDPOINT_STATUS_LABELS,
} from '@membercard/shared';
import type { Browser } from 'playwright-core';
import { goTo, openConsole, signIn, type ConsoleSession } from '../admin/e2e/console';
import { apiAt, makeConsoleData, type ConsoleData } from './support/consoleData';
import { launchBrowser, screenshot, startDemo } from './support/demo';

// No raw enum value reaches a page of the console: with a member who bought, redeemed a coupon and was
// checked in at an activity, a launched campaign and the audit entries all that left, HQ visits every
// screen of the menu and the detail screens of those records, and the visible text holds none of the
// shared enums' values as a whole word (redeemed, attended, clerk, purchase.create, none …) and no
// ObjectId. The values come from the shared dictionary itself, so a new enum value is checked too.

const ENUM_VALUES = [
  ...new Set(
    [
      ACTIVITY_STATUS_LABELS,
      AUDIT_ACTIONS,
      AUDIT_TARGET_LABELS,
      AUTOMATION_RULE_KIND_LABELS,
      CAMPAIGN_STATUS_LABELS,
      CODE_BATCH_STATUS_LABELS,
      COUPON_STATUS_LABELS,
      COUPON_TEMPLATE_STATUS_LABELS,
      COUPON_TYPE_LABELS,
      ENTRY_SOURCE_LABELS,
      GENDER_LABELS,
      HQ_ROLE_LABELS,
      LEDGER_SOURCE_LABELS,
      PAYMENT_ALERT_KIND_LABELS,
      POS_KEY_STATUS_LABELS,
      POS_ORDER_STATUS_LABELS,
      PURCHASE_STATUS_LABELS,
      REDEMPTION_STATUS_LABELS,
      SIGNUP_PAYMENT_STATUS_LABELS,
      SIGNUP_STATUS_LABELS,
      STAFF_ROLE_LABELS,
      WEBHOOK_DELIVERY_STATUS_LABELS,
      WEBHOOK_ENDPOINT_STATUS_LABELS,
    ].flatMap((labels) => Object.keys(labels)),
  ),
  NO_STORE_KEY,
];

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// A whole word: not inside a longer identifier, a username (sh01-manager), a path or a URL.
const RAW_ENUM = new RegExp(`(?<![\\w./@:-])(${ENUM_VALUES.map(escape).join('|')})(?![\\w/@-]|\\.\\w)`, 'g');
const OBJECT_ID = /(?<![0-9a-f])[0-9a-f]{24}(?![0-9a-f])/g;

/** The raw values and ObjectIds in a text, as [match, the words around it] pairs for a readable failure. */
export function rawValuesIn(text: string): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  for (const pattern of [RAW_ENUM, OBJECT_ID]) {
    for (const match of text.matchAll(pattern)) found.push([match[0], text.slice(Math.max(0, match.index - 30), match.index + match[0].length + 30).replace(/\s+/g, ' ')]);
  }
  return found;
}

describe('no raw enum values in the console', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let browser: Browser;
  let data: ConsoleData;

  beforeAll(async () => {
    demo = await startDemo();
    browser = await launchBrowser();
    data = await makeConsoleData(apiAt(demo.url), 'enums');
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  /** Opens a route and waits for its data: the title, then no skeleton or spinner left. */
  async function visibleText(session: ConsoleSession, route: string): Promise<string> {
    const { page } = session;
    await goTo(session, route);
    await page.locator('h4, h3').first().waitFor();
    await page.locator('[data-testid="loading-state"], .ant-skeleton, .ant-spin-spinning').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
    await page.waitForTimeout(400);
    return readableText(session);
  }

  /** The page's visible text without data people typed (usernames: marked data-identifier), which may be any word. */
  async function readableText(session: ConsoleSession): Promise<string> {
    return session.page.evaluate(() => {
      const style = document.createElement('style');
      style.textContent = '[data-identifier] { visibility: hidden !important; }';
      document.head.appendChild(style);
      const text = document.body.innerText;
      style.remove();
      return text;
    });
  }

  it('the matcher finds raw values as words and only as words', () => {
    expect(rawValuesIn('状态 redeemed').map(([word]) => word)).toEqual(['redeemed']);
    expect(rawValuesIn('操作 purchase.create，门店 none。').map(([word]) => word)).toEqual(['purchase.create', 'none']);
    expect(rawValuesIn('sh01-manager hq-marketing https://x.test/admin/ 已核销 Redeemed')).toEqual([]);
    expect(rawValuesIn('对象 65f1a2b3c4d5e6f708192a3b').map(([word]) => word)).toEqual(['65f1a2b3c4d5e6f708192a3b']);
  });

  it('every screen of the menu and the member, campaign, activity and coupon screens read in words', async () => {
    const session = await openConsole(browser, demo.url);
    await signIn(session);
    // The menu's items are keyed by their route (antd writes the key into data-menu-id after its own prefix).
    const menuRoutes = await session.page
      .locator('[data-testid="main-menu"] li[data-menu-id]')
      .evaluateAll((items) => items.map((item) => item.getAttribute('data-menu-id') ?? '').map((id) => (id.includes('-/') ? id.slice(id.indexOf('-/') + 1) : '')).filter(Boolean));
    expect(menuRoutes.length).toBeGreaterThanOrEqual(10);
    const routes = [...new Set([...menuRoutes, `/members/${data.memberId}`, `/campaigns/${data.campaignId}`, `/activities/${data.activityId}`, `/coupons/${data.templateId}`, '/audit'])];

    const problems: Record<string, Array<[string, string]>> = {};
    for (const route of routes) {
      let text = await visibleText(session, route);
      if (route.startsWith('/members/')) {
        // Each tab of the member page: ledger, coupons (redeemed), purchases, sign-ups (attended), 操作记录.
        for (const tab of ['优惠券', '消费记录', '活动报名', '操作记录']) {
          await session.page.getByRole('tab', { name: tab }).click();
          await session.page.waitForTimeout(600);
          text += `\n${await readableText(session)}`;
        }
        await screenshot(session.page, 'admin-no-raw-enums-member-audit');
      }
      const found = rawValuesIn(text);
      if (found.length) problems[route] = found;
    }
    expect(problems).toEqual({});
    expect(session.pageErrors.map((error) => error.message)).toEqual([]);
    await session.page.context().close();
  }, 180_000);
});
