import type { CounterEvent, CounterEventKind } from '@membercard/shared';
import { chinaDateTime } from './format';

// Words and times the counter's day shows: kinds, the China clock, the reversal's who and when.

export const counterKindText: Record<CounterEventKind, string> = { purchase: '消费', redemption: '核销', checkin: '签到' };

/** ISO time → "19:30" in China time (UTC+8). */
export function chinaClock(iso: string): string {
  return chinaDateTime(iso).slice(-5);
}

/** "静安店长 于 03-04 12:30 撤销：金额录入错误" */
export function reversalText(reversal: NonNullable<CounterEvent['reversal']>): string {
  return `${reversal.byName} 于 ${chinaDateTime(reversal.at).slice(5)} 撤销${reversal.reason ? `：${reversal.reason}` : ''}`;
}

/** The member as staff see them: "张* · 尾号1234". */
export function maskedMemberText(member: CounterEvent['member']): string {
  if (!member) return '已注销会员';
  return `${member.maskedName ?? '未填姓名'} · 尾号${member.cardNoTail}`;
}
