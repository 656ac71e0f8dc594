import type mongoose from 'mongoose';
import type { Config } from './config';
import { RateLimits } from './lib/rateLimit';
import { TokenService, sessionModel } from './lib/tokens';
import { auditModel } from './modules/audit/model';
import { AuditService } from './modules/audit/service';
import { CounterService } from './modules/counter/service';
import { memberModel } from './modules/members/model';
import { MembersService, type WeChatIdentityApi } from './modules/members/service';
import { ledgerModel, lotModel } from './modules/points/model';
import { PointsLedger } from './modules/points/ledger';
import { SettingsService, settingsModel } from './modules/settings/service';
import { staffModel, storeModel } from './modules/staff/model';
import { StaffService } from './modules/staff/service';

/** A clock every service reads, so tests can move time (expiry, windows) without waiting. */
export interface Clock {
  now: () => Date;
}

export interface ServiceDeps {
  connection: mongoose.Connection;
  config: Pick<Config, 'jwtSecret'> & { jwtSecret: string };
  wechat: WeChatIdentityApi;
  clock?: Clock;
  /** Step of the member/coupon/sign-up codes, seconds (default 60). */
  codeStepSeconds?: number;
}

export function createModels(connection: mongoose.Connection) {
  return {
    members: memberModel(connection),
    ledger: ledgerModel(connection),
    lots: lotModel(connection),
    staff: staffModel(connection),
    stores: storeModel(connection),
    audit: auditModel(connection),
    sessions: sessionModel(connection),
    settings: settingsModel(connection),
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
    'login-ip': { points: 30, windowSeconds: 15 * 60, blockSeconds: 15 * 60 },
    'login-account': { points: 5, windowSeconds: 15 * 60, blockSeconds: 15 * 60 },
  });
  const audit = new AuditService(models.audit, now);
  const settings = new SettingsService(models.settings, now);
  const staff = new StaffService({ stores: models.stores, staff: models.staff, tokens, rateLimits, audit, now });
  const ledger = new PointsLedger({ connection, members: models.members, ledger: models.ledger, lots: models.lots, now });
  const members = new MembersService({
    connection,
    members: models.members,
    wechat: deps.wechat,
    tokens,
    settings,
    staff,
    ledger,
    now,
    codeStepSeconds: deps.codeStepSeconds,
  });
  const counter = new CounterService(members);
  return { clock, models, tokens, rateLimits, audit, settings, staff, ledger, members, counter };
}

export type Services = ReturnType<typeof createServices>;
