import { Button, Image, View } from '@tarojs/components';
import Taro, { useDidShow, useRouter, useShareAppMessage } from '@tarojs/taro';
import type { Signup } from '@membercard/shared';
import { useState } from 'react';
import { catalogue, shopper } from '../../api/endpoints';
import { ApiError, readableError } from '../../api/errors';
import { shopperApi } from '../../api/session';
import { Status } from '../../components/Status';
import { isH5 } from '../../config';
import { useAsync } from '../../hooks/useAsync';
import { activityTimeRange, chinaClockTime, chinaDayWithWeekday, liveSignupFor, paymentConfirmText, seatsLeftText, signupStatusText } from '../../lib/activityText';
import { yuan } from '../../lib/format';
import { CheckinCode } from './CheckinCode';
import { CONFIRMING_TEXT, payAndConfirmSignup, paymentOutcomeText, type PaymentTone } from '../../lib/payment';
import { askToSubscribe, preloadSubscribeTemplates } from '../../lib/subscribe';
import { accentButtonStyle, useTheme } from '../../lib/theme';

const noticeClass: Record<PaymentTone, string> = { ok: 'notice notice--ok', pending: 'notice', error: 'notice notice--error' };

export default function ActivityDetailPage() {
  const theme = useTheme(); // the brand's navigation bar, and its accent on 立即报名
  const { params } = useRouter();
  const id = params.id ?? '';
  const activity = useAsync(() => catalogue.activity(id), [id]);
  // Where it happens and whether this member already holds a sign-up (so a joined activity never offers 立即报名 again).
  const context = useAsync(async () => {
    const [stores, mine] = await Promise.all([
      catalogue.stores().catch(() => null),
      shopperApi.isSignedIn() ? shopper.signups().catch(() => null) : Promise.resolve(null),
    ]);
    return { stores: stores?.items ?? [], existing: mine ? liveSignupFor(mine.items, id) : null };
  }, [id]);
  const [signup, setSignup] = useState<Signup | null>(null);
  const [confirmingPay, setConfirmingPay] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ tone: PaymentTone; text: string } | null>(null);
  // Paid, and the server has not confirmed the seat yet: while we wait, and after we stopped waiting.
  const [confirming, setConfirming] = useState(false);
  useDidShow(() => void preloadSubscribeTemplates());
  useShareAppMessage(() => ({
    title: activity.data ? `${activity.data.title} · ${activityTimeRange(activity.data.startAt, activity.data.endAt)}` : '会员活动',
    path: `/pages/activities/detail?id=${encodeURIComponent(id)}`,
    ...(activity.data?.coverImageUrl ? { imageUrl: activity.data.coverImageUrl } : {}),
  }));

  /** A paid activity first shows what will be charged and how refunds work; a free one signs up at once. */
  function onSignUpTap() {
    if (shopperApi.isSignedIn() && (activity.data?.feeFen ?? 0) > 0) setConfirmingPay(true);
    else void signUp();
  }

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
  const joined = signup ?? context.data?.existing ?? null;
  const store = data?.storeId ? context.data?.stores.find((s) => s.id === data.storeId) : undefined;
  const location = data?.location;
  const openMap = () => {
    if (!data || !location) return;
    void Taro.openLocation({ latitude: location.latitude, longitude: location.longitude, name: store?.name ?? data.title, address: data.address ?? '', scale: 16 });
  };
  return (
    <View className='page'>
      <Status loading={activity.loading && !data} error={activity.error} onRetry={() => void activity.reload()}>
        {data ? (
          <View>
            {data.coverImageUrl ? (
              <Image className='activity-cover' src={data.coverImageUrl} mode='aspectFill' style={{ width: '100%', height: '180px', borderRadius: '12px', display: 'block' }} />
            ) : (
              // No picture uploaded: a generated cover from the title, so the page never opens on a blank.
              <View
                className='activity-cover'
                style={{ height: '150px', borderRadius: '12px', background: 'linear-gradient(135deg, #07c160, #1aad8f 55%, #f5a623)', color: '#fff', padding: '20px', boxSizing: 'border-box', display: 'flex', flexDirection: 'column', justifyContent: 'flex-end' }}
              >
                <View style={{ fontSize: '13px', opacity: 0.85 }}>会员活动</View>
                <View style={{ fontSize: '22px', fontWeight: 700 }}>{data.title}</View>
              </View>
            )}
            <View className='section mt'>
              <View style={{ fontSize: '20px', fontWeight: 700 }}>{data.title}</View>
              <View className='field mt'>
                <View className='field__label'>时间</View>
                <View className='field__value'>{activityTimeRange(data.startAt, data.endAt)}</View>
              </View>
              <View className='field'>
                <View className='field__label'>地点</View>
                <View className='field__value'>
                  <View>{store?.name ?? (data.storeId ? data.storeId : '各门店')}</View>
                  {data.address ? <View className='muted small'>{data.address}</View> : null}
                  {location && !isH5 ? (
                    <View className='link small' onClick={openMap}>
                      查看地图 ›
                    </View>
                  ) : null}
                </View>
              </View>
              <View className='field'>
                <View className='field__label'>报名截止</View>
                <View className='field__value'>{`${chinaDayWithWeekday(data.signupClosesAt)} ${chinaClockTime(data.signupClosesAt)}`}</View>
              </View>
              <View className='field'>
                <View className='field__label'>费用</View>
                <View className='field__value'>{data.feeFen ? yuan(data.feeFen) : '免费'}</View>
              </View>
              <View className='field'>
                <View className='field__label'>名额</View>
                <View className='field__value'>{seatsLeftText(data)}</View>
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
            {joined ? (
              <View>
                <View className='section center'>
                  <View className={joined.status === 'confirmed' || joined.status === 'attended' ? 'tag' : 'tag tag--orange'} style={{ fontSize: '15px' }}>
                    {confirming ? '支付确认中' : joined.status === 'confirmed' ? '已报名' : signupStatusText[joined.status]}
                  </View>
                  {joined.status === 'confirmed' && !confirming ? <CheckinCode signupId={joined.id} /> : null}
                  {joined.status === 'waitlisted' ? <View className='orange mt'>候补第 {joined.waitlistPosition ?? '-'} 位，有人取消时按顺序递补</View> : null}
                </View>
                {!isH5 && joined.status !== 'cancelled' ? (
                  <Button className='btn btn--ghost mt' onClick={() => void askToSubscribe(['activityReminder'])}>
                    开始前提醒我
                  </Button>
                ) : null}
                <Button className='btn btn--primary mt' onClick={() => void Taro.redirectTo({ url: '/pages/activities/mine' })}>
                  查看我的报名
                </Button>
              </View>
            ) : (
              <Button className='btn btn--accent' style={accentButtonStyle(theme)} disabled={busy || closed || context.loading} loading={busy} onClick={onSignUpTap}>
                {closed ? '报名已截止' : data.feeFen ? `支付 ${yuan(data.feeFen)} 并报名` : '立即报名'}
              </Button>
            )}
            {confirmingPay ? (
              <View className='sheet-mask' onClick={() => setConfirmingPay(false)}>
                <View className='sheet pay-confirm' onClick={(event) => event.stopPropagation()}>
                  <View className='sheet__title'>确认报名并支付</View>
                  <View className='field'>
                    <View className='field__label'>活动</View>
                    <View className='field__value'>{data.title}</View>
                  </View>
                  <View className='field'>
                    <View className='field__label'>应付金额</View>
                    <View className='field__value' style={{ color: '#fa5151', fontSize: '20px', fontWeight: 700 }}>
                      {paymentConfirmText(data).amount}
                    </View>
                  </View>
                  <View className='muted small mt' style={{ lineHeight: 1.6 }}>
                    退款规则：{paymentConfirmText(data).refundRule}
                  </View>
                  <Button
                    className='btn btn--primary mt'
                    onClick={() => {
                      setConfirmingPay(false);
                      void signUp();
                    }}
                  >
                    确认支付 {paymentConfirmText(data).amount}
                  </Button>
                  <Button className='btn btn--ghost' onClick={() => setConfirmingPay(false)}>
                    再想想
                  </Button>
                </View>
              </View>
            ) : null}
          </View>
        ) : null}
      </Status>
    </View>
  );
}
