import type { Signup } from '@membercard/shared';

export const signupStatusText: Record<Signup['status'], string> = {
  confirmed: '报名成功',
  waitlisted: '候补中',
  pending_payment: '待支付',
  cancelled: '已取消',
  attended: '已签到',
};
