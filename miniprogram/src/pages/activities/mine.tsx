import { Button, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import type { Signup } from '@membercard/shared';
import { useState } from 'react';
import { catalogue, shopper } from '../../api/endpoints';
import { readableError } from '../../api/errors';
import { Status } from '../../components/Status';
import { CheckinCode } from './CheckinCode';
import { useAsync } from '../../hooks/useAsync';
import { signupStatusText } from '../../lib/activityText';
import { chinaDateTime } from '../../lib/format';
import { CONFIRMING_TEXT, payAndConfirmSignup, paymentOutcomeText } from '../../lib/payment';
import { useTheme } from '../../lib/theme';

export default function MySignupsPage() {
  useTheme(); // the brand's navigation bar on every shopper screen
  // Each sign-up carries its activity's title and start; the activity itself is read only to word a cancel.
  const rows = useAsync(async (): Promise<Signup[]> => (await shopper.signups()).items);
  const [openId, setOpenId] = useState<string | null>(null);
  const [busyId, setBusyId] = useState<string | null>(null);
  // Sign-ups paid here whose confirmation has not reached the list yet: they show 支付确认中, not 去支付.
  const [confirmingIds, setConfirmingIds] = useState<ReadonlySet<string>>(new Set());

  async function cancel(signup: Signup) {
    const activity = await catalogue.activity(signup.activityId).catch(() => null);
    const { confirm } = await Taro.showModal({ title: '取消报名', content: activity?.feeFen ? '取消后费用将原路退回，确定取消？' : '确定取消报名？', confirmColor: '#fa5151' });
    if (!confirm) return;
    setBusyId(signup.id);
    try {
      await shopper.cancelSignup(signup.activityId);
      void Taro.showToast({ title: '已取消', icon: 'success' });
      await rows.reload();
    } catch (failure) {
      void Taro.showToast({ title: readableError(failure), icon: 'none' });
    } finally {
      setBusyId(null);
    }
  }

  async function pay(signup: Signup) {
    setBusyId(signup.id);
    try {
      const outcome = await payAndConfirmSignup(signup, () => setConfirmingIds((ids) => new Set(ids).add(signup.id)));
      if (outcome.kind === 'not_paid') return;
      if (outcome.kind === 'settled') {
        setConfirmingIds((ids) => {
          const rest = new Set(ids);
          rest.delete(signup.id);
          return rest;
        });
      }
      // A confirmed seat speaks for itself in its row; anything else is said in full (a success toast fits 7 characters).
      if (outcome.kind === 'settled') {
        const told = paymentOutcomeText(outcome);
        void Taro.showToast(outcome.signup.status === 'confirmed' ? { title: '报名成功', icon: 'success' } : { title: told.text, icon: 'none' });
      }
      await rows.reload();
    } catch (failure) {
      void Taro.showToast({ title: readableError(failure), icon: 'none' });
    } finally {
      setBusyId(null);
    }
  }

  return (
    <View className='page'>
      <Status loading={rows.loading && !rows.data} error={rows.error} onRetry={() => void rows.reload()} empty={rows.data?.length === 0} emptyText='还没有报名任何活动'>
        {(rows.data ?? []).map((signup) => {
          const active = signup.status === 'confirmed' || signup.status === 'waitlisted' || signup.status === 'pending_payment';
          const confirming = signup.status === 'pending_payment' && confirmingIds.has(signup.id);
          return (
            <View key={signup.id} className='list-item'>
              <View className='row'>
                <View className='coupon__title'>{signup.activityTitle ?? '会员活动'}</View>
                <View className={signup.status === 'cancelled' ? 'tag tag--grey' : signup.status === 'confirmed' || signup.status === 'attended' ? 'tag' : 'tag tag--orange'}>
                  {confirming ? '支付确认中' : signupStatusText[signup.status]}
                </View>
              </View>
              {signup.activityStartAt ? <View className='muted mt'>{chinaDateTime(signup.activityStartAt)} 开始</View> : null}
              {signup.status === 'waitlisted' ? <View className='orange mt'>候补第 {signup.waitlistPosition ?? '-'} 位，有人取消时按顺序递补</View> : null}
              {signup.status === 'confirmed' ? (
                openId === signup.id ? (
                  <CheckinCode signupId={signup.id} />
                ) : (
                  <Button className='btn btn--primary mt' onClick={() => setOpenId(signup.id)}>
                    出示签到码
                  </Button>
                )
              ) : null}
              {confirming ? (
                busyId === signup.id ? (
                  <View className='orange mt'>{CONFIRMING_TEXT}</View>
                ) : (
                  <View className='row mt'>
                    <View className='orange'>支付结果确认中，请稍后刷新查看</View>
                    <Button className='btn btn--ghost btn--small' onClick={() => void rows.reload()}>
                      刷新
                    </Button>
                  </View>
                )
              ) : signup.status === 'pending_payment' ? (
                <Button className='btn btn--primary mt' loading={busyId === signup.id} onClick={() => void pay(signup)}>
                  去支付
                </Button>
              ) : null}
              {active ? (
                <Button className='btn btn--danger mt' disabled={busyId !== null} loading={busyId === signup.id && !confirming} onClick={() => void cancel(signup)}>
                  取消报名
                </Button>
              ) : null}
            </View>
          );
        })}
      </Status>
    </View>
  );
}
