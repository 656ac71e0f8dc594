import type mongoose from 'mongoose';
import type { Config } from './config';
import { RateLimits } from './lib/rateLimit';
import { TokenService, sessionModel } from './lib/tokens';
import { auditModel } from './modules/audit/model';
import { AuditService } from './modules/audit/service';
import { acquisitionModel, visitModel } from './modules/acquisition/model';
import { AcquisitionService, type WxaCodeApi } from './modules/acquisition/service';
import { activityModel, signupModel, signupNotificationModel } from './modules/activities/model';
import { ActivitiesService } from './modules/activities/service';
import { CounterService } from './modules/counter/service';
import { categoryModel } from './modules/categories/model';
import { CategoriesService } from './modules/categories/service';
import { CategorySummary } from './modules/categories/summary';
import { CounterCheckout } from './modules/counter/checkout';
import { CodeLookups, LOOKUP_LIMITS } from './modules/counter/lookupLimits';
import { CouponIssuer } from './modules/coupons/issuer';
import { PointsMall } from './modules/coupons/mall';
import { couponModel, couponTemplateModel, redemptionModel, type CouponDoc } from './modules/coupons/model';
import { RedemptionService } from './modules/coupons/redemptions';
import { CouponsService } from './modules/coupons/service';
import { MembersAdmin } from './modules/members/admin';
import { memberExportModel, memberImportModel, memberTagModel } from './modules/members/admin-model';
import { memberModel, onceRewardClaimModel } from './modules/members/model';
import { OnceRewards } from './modules/members/once-rewards';
import { MembersService, type WeChatIdentityApi } from './modules/members/service';
import { expiryWarningModel, ledgerModel, lotModel } from './modules/points/model';
import { PointsExpiry } from './modules/points/expiry';
import { PointsService } from './modules/points/service';
import { LedgerNarrator } from './modules/points/narrator';
import { purchaseModel, tierReviewModel } from './modules/purchases/model';
import { PurchasesService } from './modules/purchases/service';
import { ShiftService } from './modules/shift/service';
import { TiersService } from './modules/purchases/tiers';
import { codeBatchModel, redemptionCodeModel } from './modules/redemption-codes/model';
import { CLAIM_LIMITS, RedemptionCodesService } from './modules/redemption-codes/service';
import { PointsLedger } from './modules/points/ledger';
import { paymentModel } from './modules/payments/model';
import { PaymentsService, type WeChatPayApi } from './modules/payments/service';
import { PosCredentials } from './modules/pos/credentials';
import { posCredentialModel, posNonceModel, posOrderModel, posReturnModel } from './modules/pos/model';
import { PosService } from './modules/pos/service';
import { POS_PHONE_LIMITS, PosPhoneLookups } from './modules/pos/phoneLimits';
import { SettingsService, settingsModel } from './modules/settings/service';
import { staffModel, storeModel } from './modules/staff/model';
import { PASSWORD_CHANGE_LIMITS, StaffService } from './modules/staff/service';
import { SIGN_IN_LIMITS } from './modules/staff/signInLimits';
import { AutomationService } from './modules/automation/service';
import { CouponCentreService } from './modules/coupon-centre/service';
import { referralDeviceModel, referralModel, referralSettingModel, referralViewModel } from './modules/referral/model';
import { ReferralService } from './modules/referral/service';
import { brandAssetModel, brandModel } from './modules/branding/model';
import { BrandingService } from './modules/branding/service';
import { automationOccurrenceModel, automationRuleModel } from './modules/automation/model';
import { PushDelivery } from './modules/campaigns/delivery';
import { campaignAudienceModel, campaignModel, savedSegmentModel } from './modules/campaigns/model';
import { CampaignPusher } from './modules/campaigns/pusher';
import { CampaignRollups } from './modules/campaigns/rollups';
import { CampaignService } from './modules/campaigns/service';
import { MemberRollups } from './modules/dashboard/memberRollups';
import { DashboardService } from './modules/dashboard/service';
import { ReportsService } from './modules/reports/service';
import { messageCapModel, messageModel, subscribeQuotaModel } from './modules/messaging/model';
import { NoticeDispatcher } from './modules/messaging/notices';
import { ActivityReminders, DEFAULT_REMINDER_LEAD_MINUTES } from './modules/messaging/reminders';
import { MessagingService, type SubscribeMessageApi, type SubscribeTemplates } from './modules/messaging/service';
import { webhookDeliveryModel, webhookEndpointModel, webhookMemberSeqModel } from './modules/webhooks/model';
import { StoredValueLedger } from './modules/stored-value/ledger';
import { refundRequestModel, storedValueAccountModel, storedValueEntryModel, topupModel, topupRuleModel } from './modules/stored-value/model';
import { StoredValueSettingsService, storedValueSettingsModel } from './modules/stored-value/settings';
import { StoredValueRefunds } from './modules/stored-value/refunds';
import { StoredValueStatements } from './modules/stored-value/statements';
import { StoredValueTopups } from './modules/stored-value/topup';
import { StoredValueCharges } from './modules/stored-value/charges';
import { chargeModel, chargeRefundModel } from './modules/stored-value/charge-model';
import { ChargeConfirmations, confirmationModel } from './modules/stored-value/confirmations';
import { PaymentPins, paymentPinModel } from './modules/stored-value/pin';
import { WebhooksService } from './modules/webhooks/service';
import { MemberCardApi, type MemberCardWeChatApi } from './modules/wechat-wallet/member-card/api';
import { memberCardDesignModel, memberCardLinkModel, memberCardMarkModel } from './modules/wechat-wallet/member-card/model';
import { MemberCardService } from './modules/wechat-wallet/member-card/service';
import { MemberCardSync } from './modules/wechat-wallet/member-card/sync';
import { offerAssignmentModel, offerPoolModel, offerRunModel, topMembersModel } from './modules/offers/model';
import { OfferRunner } from './modules/offers/runner';
import { OffersService } from './modules/offers/service';
import { TopMembers } from './modules/offers/topMembers';
import { walletCouponModel, walletStockModel } from './modules/wechat-wallet/busifavor/model';
import { WalletCoupons, type BusifavorMerchant, type BusifavorPayApi } from './modules/wechat-wallet/busifavor/service';
import { nearestCardColour } from './modules/wechat-wallet/member-card/service';

/** A clock every service reads, so tests can move time (expiry, windows) without waiting. */
export interface Clock {
  now: () => Date;
}

export interface ServiceDeps {
  connection: mongoose.Connection;
  config: Pick<Config, 'jwtSecret' | 'identityHashSecret'> & { jwtSecret: string };
  wechat: WeChatIdentityApi & SubscribeMessageApi & WxaCodeApi & MemberCardWeChatApi;
  /** The URL prefix poster QR codes carry (registered for 扫普通链接二维码打开小程序); default a placeholder. */
  entryUrlBase?: string;
  /** The subscribe-message template of each purpose (id and keyword map): configuration, or the demo samples. */
  subscribeTemplates: SubscribeTemplates;
  /** How long before an activity starts its reminder goes out (default 120 minutes). */
  activityReminderLeadMinutes?: number;
  clock?: Clock;
  /** Where webhook deliveries may go (modules/webhooks/urlPolicy.ts); absent: https and public addresses only. */
  webhookUrls?: { httpsOnly: boolean; allowPrivate: boolean };
  /** Step of the member/coupon/sign-up codes, seconds (default 60). */
  codeStepSeconds?: number;
  /** WeChat Pay (or its emulator) and the merchant ids notifications must carry. */
  wechatPay: { client: WeChatPayApi & BusifavorPayApi; appId: string; mchId: string; /** Merchant coupons (商家券): the v2 key and event URL. */ busifavor?: BusifavorMerchant };
}

export function createModels(connection: mongoose.Connection) {
  return {
    members: memberModel(connection),
    onceRewardClaims: onceRewardClaimModel(connection),
    memberTags: memberTagModel(connection),
    memberExports: memberExportModel(connection),
    memberImports: memberImportModel(connection),
    ledger: ledgerModel(connection),
    lots: lotModel(connection),
    expiryWarnings: expiryWarningModel(connection),
    purchases: purchaseModel(connection),
    tierReviews: tierReviewModel(connection),
    staff: staffModel(connection),
    stores: storeModel(connection),
    audit: auditModel(connection),
    sessions: sessionModel(connection),
    settings: settingsModel(connection),
    couponTemplates: couponTemplateModel(connection),
    coupons: couponModel(connection),
    redemptions: redemptionModel(connection),
    codeBatches: codeBatchModel(connection),
    redemptionCodes: redemptionCodeModel(connection),
    activities: activityModel(connection),
    signups: signupModel(connection),
    signupNotifications: signupNotificationModel(connection),
    payments: paymentModel(connection),
    campaigns: campaignModel(connection),
    savedSegments: savedSegmentModel(connection),
    campaignAudience: campaignAudienceModel(connection),
    subscribeQuotas: subscribeQuotaModel(connection),
    messageCaps: messageCapModel(connection),
    subscribeMessages: messageModel(connection),
    automationRules: automationRuleModel(connection),
    automationOccurrences: automationOccurrenceModel(connection),
    visits: visitModel(connection),
    acquisitions: acquisitionModel(connection),
    posCredentials: posCredentialModel(connection),
    posNonces: posNonceModel(connection),
    posOrders: posOrderModel(connection),
    posReturns: posReturnModel(connection),
    webhookEndpoints: webhookEndpointModel(connection),
    webhookDeliveries: webhookDeliveryModel(connection),
    webhookMemberSeqs: webhookMemberSeqModel(connection),
    categories: categoryModel(connection),
    memberCardDesigns: memberCardDesignModel(connection),
    memberCardLinks: memberCardLinkModel(connection),
    memberCardMarks: memberCardMarkModel(connection),
    offerPool: offerPoolModel(connection),
    offerRuns: offerRunModel(connection),
    offerAssignments: offerAssignmentModel(connection),
    topMembers: topMembersModel(connection),
    walletStocks: walletStockModel(connection),
    walletCoupons: walletCouponModel(connection),
    referrals: referralModel(connection),
    referralDevices: referralDeviceModel(connection),
    referralViews: referralViewModel(connection),
    referralSettings: referralSettingModel(connection),
    brand: brandModel(connection),
    brandAssets: brandAssetModel(connection),
    storedValueAccounts: storedValueAccountModel(connection),
    storedValueEntries: storedValueEntryModel(connection),
    storedValueSettings: storedValueSettingsModel(connection),
    topupRules: topupRuleModel(connection),
    topups: topupModel(connection),
    storedValueRefundRequests: refundRequestModel(connection),
    storedValueCharges: chargeModel(connection),
    storedValueChargeRefunds: chargeRefundModel(connection),
    storedValueConfirmations: confirmationModel(connection),
    paymentPins: paymentPinModel(connection),
  };
}

export type Models = ReturnType<typeof createModels>;

/** Builds every service once, wiring their dependencies; the app and the jobs share one container. */
export function createServices(deps: ServiceDeps) {
  const { connection } = deps;
  const clock: Clock = deps.clock ?? { now: () => new Date() };
  const now = () => clock.now();
  const models = createModels(connection);
  const tokens = new TokenService(deps.config.jwtSecret, models.sessions, undefined, undefined, now);
  const rateLimits = new RateLimits(connection, {
    ...SIGN_IN_LIMITS,
    ...LOOKUP_LIMITS,
    ...POS_PHONE_LIMITS,
    ...CLAIM_LIMITS,
    ...PASSWORD_CHANGE_LIMITS,
  });
  const audit = new AuditService(models.audit, now, models);
  // Outbound webhooks: services record events in their own transactions through `events` (modules/webhooks).
  const webhooks = new WebhooksService({
    connection, endpoints: models.webhookEndpoints, deliveries: models.webhookDeliveries, memberSeqs: models.webhookMemberSeqs, audit, serverSecret: deps.config.jwtSecret, now, urlPolicy: deps.webhookUrls,
  });
  const settings = new SettingsService(models.settings, now);
  // Stored value (储值): the ledger every balance change goes through, and HQ's settings for it.
  const storedValueLedger = new StoredValueLedger({ accounts: models.storedValueAccounts, entries: models.storedValueEntries, now });
  const storedValueSettings = new StoredValueSettingsService(models.storedValueSettings, now);
  const staff = new StaffService({ stores: models.stores, staff: models.staff, tokens, rateLimits, audit, now });
  // A session's next token is built from the account as it is now: a shopper until erased, staff while active.
  tokens.useResolver(async (owner, credential) => {
    if (owner.type !== 'shopper') return staff.currentClaims(owner.staffId, credential);
    const live = await models.members.exists({ _id: owner.memberId, status: { $ne: 'erased' } });
    return live ? { type: 'shopper', memberId: owner.memberId } : null;
  });
  const ledger = new PointsLedger({ connection, members: models.members, ledger: models.ledger, lots: models.lots, now, events: webhooks });
  const members = new MembersService({
    connection,
    members: models.members,
    wechat: deps.wechat,
    tokens,
    settings,
    staff,
    ledger,
    onceRewards: new OnceRewards(models.onceRewardClaims, deps.config.identityHashSecret ?? deps.config.jwtSecret),
    now,
    codeStepSeconds: deps.codeStepSeconds,
    events: webhooks,
  });
  const counter = new CounterService(members, new CodeLookups({ rateLimits, audit }));
  const pointsExpiry = new PointsExpiry({ ledger, lots: models.lots, warnings: models.expiryWarnings, now });
  const narrator = new LedgerNarrator({ purchases: models.purchases, coupons: models.coupons, signups: models.signups, activities: models.activities, stores: models.stores });
  const points = new PointsService({ connection, ledger, entries: models.ledger, members: models.members, settings, staff, audit, narrator });
  const categories = new CategoriesService({ categories: models.categories, members: models.members, purchases: models.purchases, audit, now });
  const purchases = new PurchasesService({
    connection, purchases: models.purchases, members: models.members, membersService: members, ledger, settings, audit, now, events: webhooks,
    categories, categorySummary: new CategorySummary(models.members),
  });
  const tiers = new TiersService({ connection, members: models.members, reviews: models.tierReviews, purchases, settings, audit, now });
  members.extensions.counterHistory = (memberId) => purchases.counterHistory(memberId);
  const issuer = new CouponIssuer({ connection, templates: models.couponTemplates, coupons: models.coupons, members: models.members, now, events: webhooks });
  const coupons = new CouponsService({
    connection, templates: models.couponTemplates, coupons: models.coupons, issuer, members, audit, now, codeStepSeconds: deps.codeStepSeconds,
    redemptions: models.redemptions, stores: models.stores,
  });
  const redemptions = new RedemptionService({ connection, coupons: models.coupons, redemptions: models.redemptions, members, audit, now, events: webhooks });
  const mall = new PointsMall({ connection, templates: models.couponTemplates, members: models.members, ledger, issuer });
  const redemptionCodes = new RedemptionCodesService({
    connection, batches: models.codeBatches, codes: models.redemptionCodes, templates: models.couponTemplates, issuer, ledger, rateLimits, audit, now,
  });
  members.codeOwners.coupon = (couponId) => coupons.ownerOf(couponId);
  members.codeCandidates.coupon = (memberId, at) => coupons.codeCandidates(memberId, at);
  members.extensions.couponsAvailable = (memberId) => coupons.availableCount(memberId);
  counter.details.coupon = (couponId, _actor, loaded) => coupons.forCounter(couponId, loaded as CouponDoc | undefined);
  const payments = new PaymentsService({ connection, payments: models.payments, ...deps.wechatPay, now });
  const activities = new ActivitiesService({
    connection, activities: models.activities, signups: models.signups, notifications: models.signupNotifications, members: models.members,
    membersService: members, staff, payments, ledger, settings, audit, now, codeStepSeconds: deps.codeStepSeconds, events: webhooks,
  });
  payments.purposes.signup = {
    onPaid: (signupId, session) => activities.onSignupPaid(signupId, session),
    onRefunded: (payment, session) => activities.onPaymentRefunded(payment, session),
  };
  // Stored-value top-ups are WeChat Pay payments of purpose 'topup'; refunds of principal go back to them.
  const storedValueTopups = new StoredValueTopups({
    connection, rules: models.topupRules, topups: models.topups, accounts: models.storedValueAccounts, members: models.members, stores: models.stores,
    couponTemplates: models.couponTemplates, ledger: storedValueLedger, settings: storedValueSettings, payments, points: ledger, issuer, now,
  });
  const storedValueRefunds = new StoredValueRefunds({
    connection, requests: models.storedValueRefundRequests, topups: models.topups, payments: models.payments, members: models.members, paymentsService: payments,
    ledger: storedValueLedger, settings: storedValueSettings, audit, now,
  });
  const storedValueStatements = new StoredValueStatements({ accounts: models.storedValueAccounts, entries: models.storedValueEntries, stores: models.stores });
  payments.purposes.topup = {
    onPaid: (topupId, session) => storedValueTopups.onPaid(topupId, session),
    onRefunded: (payment, session) => storedValueRefunds.onPaymentRefunded(payment, session),
  };
  members.extensions.beforeErase = (memberId, session) => storedValueRefunds.beforeErase(memberId, session);
  members.codeOwners.signup = (signupId) => activities.codeOwner(signupId);
  members.codeCandidates.signup = (memberId) => activities.codeCandidates(memberId);
  counter.details.signup = (signupId, actor) => activities.scanDetails(signupId, actor);
  const messaging = new MessagingService({
    quotas: models.subscribeQuotas, caps: models.messageCaps, messages: models.subscribeMessages, settings,
    members: models.members, wechat: deps.wechat, templates: deps.subscribeTemplates, audit, now,
  });
  const notices = new NoticeDispatcher({ activityNotices: models.signupNotifications, messaging, now });
  const reminders = new ActivityReminders({
    activities: models.activities, signups: models.signups, quotas: models.subscribeQuotas, messages: models.subscribeMessages, messaging,
    leadMinutes: deps.activityReminderLeadMinutes ?? DEFAULT_REMINDER_LEAD_MINUTES, now,
  });
  const membersAdmin = new MembersAdmin({
    connection, members: models.members, tags: models.memberTags, exports: models.memberExports, imports: models.memberImports,
    memberViews: members, settings, staff, ledger, issuer, audit, now,
  });
  const delivery = new PushDelivery(issuer, messaging);
  const campaignRollups = new CampaignRollups({
    connection, campaigns: models.campaigns, templates: models.couponTemplates, audience: models.campaignAudience, purchases: models.purchases, redemptions: models.redemptions, now,
  });
  const campaigns = new CampaignService({
    campaigns: models.campaigns, segments: models.savedSegments, members: models.members, templates: models.couponTemplates, rollups: campaignRollups,
    memberViews: members, pusher: new CampaignPusher({ campaigns: models.campaigns, members: models.members, audience: models.campaignAudience, delivery, issuer, now }), audit, now,
  });
  const automation = new AutomationService({
    rules: models.automationRules, occurrences: models.automationOccurrences, members: models.members, templates: models.couponTemplates,
    expiryWarnings: models.expiryWarnings, settings, delivery, ledger, audit, now,
  });
  members.extensions.onJoined = (member) => automation.onJoined(member);
  const offerRunner = new OfferRunner({
    runs: models.offerRuns, assignments: models.offerAssignments, pool: models.offerPool, templates: models.couponTemplates, members: models.members,
    purchases: models.purchases, coupons: models.coupons, redemptions: models.redemptions, categories: models.categories, issuer, now,
  });
  const offers = new OffersService({
    pool: models.offerPool, runs: models.offerRuns, assignments: models.offerAssignments, templates: models.couponTemplates, members: models.members,
    categories: models.categories, purchases: models.purchases, redemptions: models.redemptions, campaigns: models.campaigns, campaignResults: (id) => campaigns.results(id),
    settings: models.settings, runner: offerRunner, audit, now,
  });
  const topMembers = new TopMembers({ members: models.members, tags: models.memberTags, top: models.topMembers, now });
  const branding = new BrandingService({ brand: models.brand, assets: models.brandAssets, settings, audit, now });
  const couponCentre = new CouponCentreService({ templates: models.couponTemplates, coupons: models.coupons, issuer, automation, now });
  const acquisition = new AcquisitionService({
    visits: models.visits, acquisitions: models.acquisitions, members: models.members, stores: models.stores, staff: models.staff,
    campaigns: models.campaigns, wechat: deps.wechat, entryUrlBase: deps.entryUrlBase ?? 'https://example.com/mp/entry', now,
  });
  members.extensions.attributeJoin = (member) => acquisition.attributeJoin(member);
  const referral = new ReferralService({
    connection, referrals: models.referrals, devices: models.referralDevices, views: models.referralViews, settings: models.referralSettings,
    members: models.members, templates: models.couponTemplates, ledger, issuer, wechat: deps.wechat, audit, serverSecret: deps.config.jwtSecret, now,
  });
  members.extensions.joinedInTransaction = (session, member, invitation) => referral.recordJoin(session, member, invitation);
  purchases.bookingHooks.inTransaction = (session, member, booked, amountFen) => referral.qualifyWith(session, member, { purchaseId: booked.purchaseId, amountFen, at: booked.at });
  purchases.bookingHooks.afterCommit = (member) => referral.afterPurchase(member);
  const memberRollups = new MemberRollups({ connection, members: models.members });
  const dashboard = new DashboardService({
    members: models.members, lots: models.lots, coupons: models.coupons, redemptions: models.redemptions, campaigns: models.campaigns, settings, messaging,
    rollups: memberRollups, now,
  });
  const reports = new ReportsService({
    connection, purchases: models.purchases, ledger: models.ledger, coupons: models.coupons, redemptions: models.redemptions, members: models.members,
    rollups: memberRollups, messaging, now,
  });
  const posCredentials = new PosCredentials({
    connection, credentials: models.posCredentials, nonces: models.posNonces, staff, audit, serverSecret: deps.config.jwtSecret, now,
  });
  const pos = new PosService({
    connection, orders: models.posOrders, returns: models.posReturns, members: models.members, coupons: models.coupons, membersService: members,
    purchases, redemptions, lookups: counter.lookups, phoneLookups: new PosPhoneLookups({ rateLimits, audit }), categories, settings, audit, now,
  });
  const counterCheckout = new CounterCheckout({
    connection, members: models.members, coupons: models.coupons, purchaseRecords: models.purchases, redemptionRecords: models.redemptions,
    membersService: members, purchases, redemptions, lookups: counter.lookups, settings, serverSecret: deps.config.jwtSecret, now,
  });
  const paymentPins = new PaymentPins(models.paymentPins, now);
  const storeNameOf = async (storeId: string) => (await models.stores.findById(storeId, { name: 1 }).lean<{ name: string }>())?.name ?? storeId;
  const chargeConfirmations = new ChargeConfirmations(models.storedValueConfirmations, storeNameOf, now);
  const storedValueCharges = new StoredValueCharges({
    connection, charges: models.storedValueCharges, refunds: models.storedValueChargeRefunds, members: models.members, stores: models.stores,
    membersService: members, lookups: counter.lookups, ledger: storedValueLedger, settings: storedValueSettings, pins: paymentPins,
    confirmations: chargeConfirmations, audit, messaging, now,
  });
  counterCheckout.storedValueOf = (memberId) => storedValueCharges.panelView(memberId);
  const shift = new ShiftService({
    purchases: models.purchases, redemptions: models.redemptions, coupons: models.coupons, signups: models.signups, activities: models.activities,
    members: models.members, staff: models.staff, stores: models.stores, now,
  });
  const walletCoupons = new WalletCoupons({
    connection, stocks: models.walletStocks, walletCoupons: models.walletCoupons, templates: models.couponTemplates, coupons: models.coupons, members: models.members,
    redemptions, audit, client: deps.wechatPay.client, now,
    // The brand's name and nearest WeChat palette colour on the coupon (its logo is a path on this server, which WeChat cannot show).
    branding: async () => {
      const theme = await branding.getBrandSettings();
      return { merchantName: theme.name, backgroundColor: nearestCardColour(theme.primaryColor) };
    },
    merchant: deps.wechatPay.busifavor ?? { appId: deps.wechatPay.appId, mchId: deps.wechatPay.mchId, apiV2Key: null, notifyUrl: null, merchantName: '会员优惠券' },
  });
  // The WeChat member card in the shopper's wallet (modules/wechat-wallet/member-card).
  const memberCardStoredValue = { accounts: models.storedValueAccounts, entries: models.storedValueEntries };
  const memberCardApi = new MemberCardApi(deps.wechat);
  const memberCard = new MemberCardService({
    designs: models.memberCardDesigns, links: models.memberCardLinks, members: models.members, membersService: members, settings, audit, api: memberCardApi, brand: branding, storedValue: memberCardStoredValue, now,
  });
  const memberCardSync = new MemberCardSync({
    connection, links: models.memberCardLinks, marks: models.memberCardMarks, members: models.members, settings, cards: memberCard, api: memberCardApi, storedValue: memberCardStoredValue, now,
  });
  return { walletCoupons, clock, models, referral, storedValueLedger, storedValueSettings, storedValueTopups, storedValueRefunds, storedValueStatements, tokens, rateLimits, audit, settings, staff, ledger, members, membersAdmin, counter, points, pointsExpiry, purchases, tiers, issuer, coupons, redemptions, mall, redemptionCodes, payments, activities, messaging, notices, reminders, campaigns, campaignRollups, automation, couponCentre, dashboard, memberRollups, reports, acquisition, posCredentials, pos, webhooks, categories, counterCheckout, storedValueCharges, paymentPins, chargeConfirmations, shift, branding, offers, topMembers, memberCard, memberCardSync };
}

export type Services = ReturnType<typeof createServices>;
