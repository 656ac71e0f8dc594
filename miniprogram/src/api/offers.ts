import { MemberOfferReasonsSchema } from '@membercard/shared';
import { shopperApi } from './session';

// Personalised offers: why each of the member's personalised coupons was chosen ("你常买 奶粉"), shown in the wallet.
export const offers = {
  reasons: () => shopperApi.get('/me/offers/reasons', { answer: MemberOfferReasonsSchema }),
};

/** couponId → the reason in Chinese (the wallet speaks Chinese). */
export async function offerReasons(): Promise<Map<string, string>> {
  const answer = await offers.reasons();
  return new Map(answer.items.map((item) => [item.couponId, item.reason.zh]));
}
