import type { Member } from '@membercard/shared';
import { catalogue, shopper } from '../api/endpoints';
import { ApiError } from '../api/errors';
import { fallbackPrivacyPolicyVersion } from '../config';
import { forgetInvitation, joinExtras } from '../pages/referral/invitation';
import { reportEntry } from './entry';
import { rememberMember } from './memberCache';
import { signInSilently } from './shopperSession';

/**
 * One tap opens the card: join (consent to the charter and privacy policy shown beside the button), then
 * the phone number WeChat handed over with the same tap, if the visitor allowed it. A refused or failed
 * phone binding leaves the card open; the phone can be bound later under 个人资料.
 */
export async function openCard(phoneCode?: string): Promise<Member> {
  if (!(await signInSilently())) throw new ApiError('UNAUTHENTICATED', 401);
  // The code the app was opened from is reported before the join, so the join is credited to it.
  await reportEntry();
  const config = await catalogue.appConfig().catch(() => null);
  let member: Member;
  try {
    member = await shopper.join({ acceptTerms: true, privacyPolicyVersion: config?.privacyPolicyVersion ?? fallbackPrivacyPolicyVersion, ...joinExtras() });
    forgetInvitation();
  } catch (failure) {
    if (!(failure instanceof ApiError && failure.code === 'ALREADY_MEMBER')) throw failure;
    member = await shopper.me();
  }
  if (phoneCode && !member.phone) {
    member = await shopper.bindPhone(phoneCode).catch(() => member);
  }
  rememberMember(member);
  return member;
}
