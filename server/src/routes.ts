import type { RouteSpec } from './lib/route';
import { couponRoutes } from './modules/coupons/routes';
import { memberRoutes } from './modules/members/routes';
import { redemptionCodeRoutes } from './modules/redemption-codes/routes';
import { staffRoutes } from './modules/staff/routes';
import type { Services } from './services';

/** Every API route, module by module. */
export function allRoutes(services: Services): RouteSpec[] {
  return [...memberRoutes(services), ...staffRoutes(services), ...couponRoutes(services), ...redemptionCodeRoutes(services)];
}
