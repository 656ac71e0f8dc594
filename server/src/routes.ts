import type { RouteSpec } from './lib/route';
import { memberRoutes } from './modules/members/routes';
import { staffRoutes } from './modules/staff/routes';
import type { Services } from './services';

/** Every API route, module by module. */
export function allRoutes(services: Services): RouteSpec[] {
  return [...memberRoutes(services), ...staffRoutes(services)];
}
