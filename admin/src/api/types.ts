import type { z } from 'zod';
import type { AuditEntrySchema, StaffAccountSchema } from '../shared';

// Answer shapes the console reads. Everything the server publishes in its OpenAPI document comes from
// the shared zod schemas it is generated from (see ../shared.ts), so a server change breaks the build
// here instead of a screen in production.
export type {
  LedgerEntry,
  Purchase,
  AdminSignup,
  Segment,
  SavedSegment,
  Campaign,
  CampaignStatus,
  CampaignMessage,
  CampaignBreakdownRow,
  CampaignPreviewAnswer,
  RedemptionCodeBatch,
  AutomationRule,
  MarketingSettings,
  Dashboard,
  Report,
  ReportDay,
  StoreDetail,
  AcquisitionReport,
  EntryCode,
} from '../shared';

export interface TierRef {
  code: string;
  name: string;
}

/** GET /stores (open stores, for everyone) and GET /admin/stores (with `active`, HQ only). */
export interface Store {
  id: string;
  name: string;
  city?: string;
  active?: boolean;
}

export type AuditEntry = z.infer<typeof AuditEntrySchema>;
export type StaffAccount = z.infer<typeof StaffAccountSchema>;
