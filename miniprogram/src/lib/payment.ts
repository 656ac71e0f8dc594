import Taro from '@tarojs/taro';
import type { Signup } from '@membercard/shared';
import { payInEmulator } from '../api/endpoints';
import { isH5 } from '../config';

/** "prepay_id=wx123" → "wx123". */
export function prepayIdOf(paymentPackage: string): string {
  return paymentPackage.replace(/^prepay_id=/, '');
}

/**
 * Pays a seat held for payment. weapp opens WeChat Pay's sheet; the H5 demo completes the order in the
 * emulator (Taro's H5 requestPayment is a stub that would "succeed" without paying).
 * Resolves true when paid, false when the shopper closed the sheet.
 */
export async function payForSignup(signup: Signup): Promise<boolean> {
  const payment = signup.payment;
  if (!payment) return true;
  if (isH5) {
    await payInEmulator(prepayIdOf(payment.package));
    return true;
  }
  try {
    await Taro.requestPayment({ ...payment, signType: 'RSA' });
    return true;
  } catch {
    return false;
  }
}
