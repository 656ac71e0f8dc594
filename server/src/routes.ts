import type { RouteSpec } from './lib/route';
import { acquisitionRoutes } from './modules/acquisition/routes';
import { activityRoutes } from './modules/activities/routes';
import { categoryRoutes } from './modules/categories/routes';
import { couponRoutes } from './modules/coupons/routes';
import { counterRoutes } from './modules/counter/routes';
import { memberAdminRoutes } from './modules/members/admin-routes';
import { memberRoutes } from './modules/members/routes';
import { paymentRoutes } from './modules/payments/routes';
import { storedValueAdminRoutes } from './modules/stored-value/admin-routes';
import { storedValueShopperRoutes } from './modules/stored-value/topup-routes';
import { pointsRoutes } from './modules/points/routes';
import { posRoutes } from './modules/pos/routes';
import { storedValueChargeRoutes } from './modules/stored-value/charge-routes';
import { purchaseRoutes } from './modules/purchases/routes';
import { redemptionCodeRoutes } from './modules/redemption-codes/routes';
import { referralRoutes } from './modules/referral/routes';
import { shiftRoutes } from './modules/shift/routes';
import { staffRoutes } from './modules/staff/routes';
import { automationRoutes } from './modules/automation/routes';
import { brandingRoutes } from './modules/branding/routes';
import { couponCentreRoutes } from './modules/coupon-centre/routes';
import { campaignRoutes } from './modules/campaigns/routes';
import { dashboardRoutes } from './modules/dashboard/routes';
import { reportRoutes } from './modules/reports/routes';
import { messagingRoutes } from './modules/messaging/routes';
import { systemRoutes } from './modules/system/routes';
import { webhookRoutes } from './modules/webhooks/routes';
import { offerRoutes } from './modules/offers/routes';
import { busifavorRoutes } from './modules/wechat-wallet/busifavor/routes';
import { memberCardRoutes } from './modules/wechat-wallet/member-card/routes';
import type { Services } from './services';

/** Every API route, module by module. */
export function allRoutes(services: Services): RouteSpec[] {
  return [...busifavorRoutes(services), ...memberRoutes(services), ...memberAdminRoutes(services), ...staffRoutes(services), ...pointsRoutes(services), ...purchaseRoutes(services), ...counterRoutes(services), ...couponRoutes(services), ...redemptionCodeRoutes(services), ...activityRoutes(services), ...paymentRoutes(services), ...storedValueShopperRoutes(services), ...storedValueAdminRoutes(services), ...systemRoutes(services), ...messagingRoutes(services), ...campaignRoutes(services), ...automationRoutes(services), ...couponCentreRoutes(services), ...brandingRoutes(services), ...dashboardRoutes(services), ...reportRoutes(services), ...acquisitionRoutes(services), ...posRoutes(services), ...storedValueChargeRoutes(services), ...webhookRoutes(services), ...categoryRoutes(services), ...offerRoutes(services), ...shiftRoutes(services), ...referralRoutes(services), ...memberCardRoutes(services)];
}
