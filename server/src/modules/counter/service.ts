import type { Coupon, Signup, StaffScanAnswer } from '@membercard/shared';
import type { Actor } from '../../lib/requestContext';
import type { MembersService } from '../members/service';
import type { CodeLookups } from './lookupLimits';

/** What the coupon and activity modules show a clerk for a scanned coupon or sign-up code. */
export interface ScanDetails {
  /** `loaded`: the coupon as verifying the code read it, when it did. */
  coupon?: (subjectId: string, actor: Actor, loaded?: unknown) => Promise<Coupon>;
  signup?: (subjectId: string, actor: Actor) => Promise<Signup>;
}

/** The counter's scan: one code in, the masked member and what the code stands for out. */
export class CounterService {
  readonly details: ScanDetails = {};

  constructor(
    private readonly members: MembersService,
    /** Limits every staff look-up of a member, coupon or sign-up code (purchases, redemptions and check-ins too). */
    readonly lookups: CodeLookups,
  ) {}

  async scan(actor: Actor, code: string, requestId?: string): Promise<StaffScanAnswer> {
    return this.lookups.guard(actor, requestId, () => this.identify(actor, code));
  }

  private async identify(actor: Actor, code: string): Promise<StaffScanAnswer> {
    const { parsed, member, subject } = await this.members.verifyScannedCode(code);
    const masked = await this.members.masked(member);
    if (parsed.kind === 'coupon' && this.details.coupon) {
      return { type: 'coupon', member: masked, coupon: await this.details.coupon(parsed.subject, actor, subject) };
    }
    if (parsed.kind === 'signup' && this.details.signup) {
      return { type: 'signup', member: masked, signup: await this.details.signup(parsed.subject, actor) };
    }
    return { type: 'member', member: masked };
  }
}
