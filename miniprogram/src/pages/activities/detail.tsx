import { Button, View } from '@tarojs/components';
import Taro, { useDidShow, useRouter } from '@tarojs/taro';
import type { Signup } from '@membercard/shared';
import { useState } from 'react';
import { catalogue, shopper } from '../../api/endpoints';
import { ApiError, readableError } from '../../api/errors';
import { shopperApi } from '../../api/session';
import { Status } from '../../components/Status';
import { isH5 } from '../../config';
import { useAsync } from '../../hooks/useAsync';
import { signupStatusText } from '../../lib/activityText';
import { chinaDateTime, yuan } from '../../lib/format';
import { CONFIRMING_TEXT, payAndConfirmSignup, paymentOutcomeText, type PaymentTone } from '../../lib/payment';
import { askToSubscribe, preloadSubscribeTemplates } from '../../lib/subscribe';

const noticeClass: Record<PaymentTone, string> = { ok: 'notice notice--ok', pending: 'notice', error: 'notice notice--error' };

export default function ActivityDetailPage() {
  const { params } = useRouter();
  const id = params.id ?? '';
  const activity = useAsync(() => catalogue.activity(id), [id]);
  const [signup, setSignup] = useState<Signup | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ tone: PaymentTone; text: string } | null>(null);
  // Paid, and the server has not confirmed the seat yet: while we wait, and after we stopped waiting.
  const [confirming, setConfirming] = useState(false);
  useDidShow(() => void preloadSubscribeTemplates());

  async function signUp() {
    if (!shopperApi.isSignedIn()) {
      void Taro.navigateTo({ url: '/pages/login/index' });
      return;
    }
    // Straight from the tap (WeChat requires it): consent to hear if the activity is cancelled, or, when it is
    // full, that a waitlist seat came free, and for a fee, that a refund reached them. Each notice has its own
    // template, so the reminder is not spent on them (at most three ids per request).
    const full = activity.data ? activity.data.confirmedCount >= activity.data.capacity : false;
    const paid = (activity.data?.feeFen ?? 0) > 0;
    void askToSubscribe([
      'activityCancelled',
      ...(full ? (['waitlistPromoted'] as const) : []),
      ...(paid ? (['refundResult'] as const) : []),
    ]);
    setBusy(true);
    setMessage(null);
    try {
      const result = await shopper.signUp(id);
      if (result.status === 'pending_payment') {
        const outcome = await payAndConfirmSignup(result, () => {
          setConfirming(true);
          setMessage({ tone: 'pending', text: CONFIRMING_TEXT });
        });
        if (outcome.kind === 'not_paid') {
          setSignup(result);
          setMessage({ tone: 'error', text: '支付未完成，名额将为您保留 15 分钟' });
          return;
        }
        setConfirming(outcome.kind === 'unconfirmed');
        setSignup(outcome.kind === 'settled' ? outcome.signup : { ...result, payment: undefined });
        setMessage(paymentOutcomeText(outcome));
        void activity.reload();
        return;
      }
      setSignup(result);
      setMessage({
        tone: 'ok',
        text: result.status === 'waitlisted' ? `名额已满，您已进入候补第 ${result.waitlistPosition ?? '-'} 位` : '报名成功，活动当天出示签到码即可',
      });
      void activity.reload();
    } catch (failure) {
      if (failure instanceof ApiError && failure.code === 'NOT_A_MEMBER') {
        void Taro.navigateTo({ url: '/pages/join/index' });
        return;
      }
      setMessage({ tone: 'error', text: readableError(failure) });
    } finally {
      setBusy(false);
    }
  }

  const data = activity.data;
  const closed = data ? Date.parse(data.signupClosesAt) < Date.now() : false;
  return (
    <View className='page'>
      <Status loading={activity.loading && !data} error={activity.error} onRetry={() => void activity.reload()}>
        {data ? (
          <View>
            <View className='section'>
              <View style={{ fontSize: '20px', fontWeight: 700 }}>{data.title}</View>
              <View className='field mt'>
                <View className='field__label'>时间</View>
                <View className='field__value'>
                  {chinaDateTime(data.startAt)} - {chinaDateTime(data.endAt)}
                </View>
              </View>
              <View className='field'>
                <View className='field__label'>报名截止</View>
                <View className='field__value'>{chinaDateTime(data.signupClosesAt)}</View>
              </View>
              <View className='field'>
                <View className='field__label'>费用</View>
                <View className='field__value'>{data.feeFen ? yuan(data.feeFen) : '免费'}</View>
              </View>
              <View className='field'>
                <View className='field__label'>名额</View>
                <View className='field__value'>
                  {data.confirmedCount}/{data.capacity}
                  {data.waitlistCount ? `（候补 ${data.waitlistCount} 人）` : ''}
                </View>
              </View>
              {data.attendancePoints ? (
                <View className='field'>
                  <View className='field__label'>到场奖励</View>
                  <View className='field__value'>{data.attendancePoints} 积分</View>
                </View>
              ) : null}
            </View>
            <View className='section'>
              <View className='section__title'>活动介绍</View>
              <View style={{ lineHeight: 1.7, whiteSpace: 'pre-wrap' }}>{data.description}</View>
            </View>
            {message ? <View className={noticeClass[message.tone]}>{message.text}</View> : null}
            {signup ? (
              <View>
                <View className='muted center'>当前状态：{confirming ? '支付确认中' : signupStatusText[signup.status]}</View>
                {!isH5 && signup.status !== 'cancelled' ? (
                  <Button className='btn btn--ghost mt' onClick={() => void askToSubscribe(['activityReminder'])}>
                    开始前提醒我
                  </Button>
                ) : null}
                <Button className='btn btn--primary mt' onClick={() => void Taro.redirectTo({ url: '/pages/activities/mine' })}>
                  查看我的报名
                </Button>
              </View>
            ) : (
              <Button className='btn btn--primary' disabled={busy || closed} loading={busy} onClick={() => void signUp()}>
                {closed ? '报名已截止' : data.feeFen ? `支付 ${yuan(data.feeFen)} 并报名` : '立即报名'}
              </Button>
            )}
          </View>
        ) : null}
      </Status>
    </View>
  );
}
