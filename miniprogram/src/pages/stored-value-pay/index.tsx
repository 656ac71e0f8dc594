import { Button, Input, View } from '@tarojs/components';
import Taro, { useDidHide, useDidShow } from '@tarojs/taro';
import {
  PaymentPinStatusSchema,
  StoredValueConfirmationListSchema,
  StoredValueConfirmationSchema,
  type PaymentPinStatus,
  type StoredValueConfirmation,
} from '@membercard/shared';
import { useRef, useState } from 'react';
import { readableError } from '../../api/errors';
import { shopperApi } from '../../api/session';
import { chinaDateTime, yuan } from '../../lib/format';
import { askToSubscribe, preloadSubscribeTemplates } from '../../lib/subscribe';
import { useTheme } from '../../lib/theme';

// 储值支付: the member approves or declines a stored-value payment the till asked for above HQ's amount, and sets
// the 6-digit payment PIN the till can take instead. While open, the page looks for new requests every 3 s.

const POLL_MS = 3_000;

const api = {
  pending: () => shopperApi.get('/me/stored-value/confirmations', { answer: StoredValueConfirmationListSchema }),
  decide: (id: string, approve: boolean) => shopperApi.post(`/me/stored-value/confirmations/${id}/decision`, { body: { approve }, answer: StoredValueConfirmationSchema }),
  pin: () => shopperApi.get('/me/stored-value/pin', { answer: PaymentPinStatusSchema }),
  setPin: (pin: string, currentPin?: string) => shopperApi.post('/me/stored-value/pin', { body: { pin, ...(currentPin ? { currentPin } : {}) }, answer: PaymentPinStatusSchema }),
};

export default function StoredValuePayPage() {
  useTheme(); // the brand's navigation bar on every shopper screen
  const [requests, setRequests] = useState<StoredValueConfirmation[]>([]);
  const [pin, setPin] = useState<PaymentPinStatus | null>(null);
  const [decided, setDecided] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [editing, setEditing] = useState(false);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const timer = useRef<ReturnType<typeof setInterval> | null>(null);

  async function refresh() {
    try {
      setRequests((await api.pending()).items);
    } catch (failure) {
      setError(readableError(failure));
    }
  }

  useDidShow(() => {
    void preloadSubscribeTemplates();
    void refresh();
    void api.pin().then(setPin, (failure: unknown) => setError(readableError(failure)));
    timer.current = setInterval(() => void refresh(), POLL_MS);
  });
  useDidHide(() => {
    if (timer.current) clearInterval(timer.current);
  });

  async function decide(request: StoredValueConfirmation, approve: boolean) {
    // Straight from the tap (WeChat allows the consent sheet only there): a 储值消费通知 after each payment.
    if (approve) void askToSubscribe(['storedValueCharge']);
    if (approve) {
      const { confirm } = await Taro.showModal({
        title: '确认支付',
        content: `从储值余额支付 ${yuan(request.amountFen)} 给 ${request.storeName}（小票号 ${request.orderNo}）？`,
        confirmColor: '#07c160',
      });
      if (!confirm) return;
    }
    setBusy(true);
    setError(null);
    try {
      const answer = await api.decide(request.id, approve);
      setDecided(answer.status === 'approved' ? `已确认支付 ${yuan(answer.amountFen)}，请告知店员` : `已拒绝这笔 ${yuan(answer.amountFen)} 的支付`);
      await refresh();
    } catch (failure) {
      setError(readableError(failure));
    } finally {
      setBusy(false);
    }
  }

  async function savePin() {
    if (!/^\d{6}$/.test(next)) return setError('支付密码是 6 位数字');
    if (next !== again) return setError('两次输入的支付密码不一致');
    const needsCurrent = pin?.set && !pin.lockedUntil;
    if (needsCurrent && !/^\d{6}$/.test(current)) return setError('请输入当前的 6 位支付密码');
    setBusy(true);
    setError(null);
    try {
      setPin(await api.setPin(next, needsCurrent ? current : undefined));
      setEditing(false);
      setCurrent('');
      setNext('');
      setAgain('');
      setDecided('支付密码已设置');
    } catch (failure) {
      setError(readableError(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <View className='page'>
      <View className='section'>
        <View className='section__title'>待确认的储值支付</View>
        {requests.length === 0 ? <View className='muted'>暂无。店员发起超过限额的储值支付时，会显示在这里。</View> : null}
        {requests.map((request) => (
          <View key={request.id} className='mt'>
            <View className='row'>
              <View style={{ fontSize: '28px', fontWeight: 700 }}>{yuan(request.amountFen)}</View>
              <View className='muted'>{request.storeName}</View>
            </View>
            <View className='muted small'>
              小票号 {request.orderNo}
              {request.orderTotalFen > request.amountFen ? ` · 订单共 ${yuan(request.orderTotalFen)}` : ''} · 请在 {chinaDateTime(request.expiresAt)} 前确认
            </View>
            <Button className='btn btn--primary mt' disabled={busy} onClick={() => void decide(request, true)}>
              确认支付 {yuan(request.amountFen)}
            </Button>
            <Button className='btn btn--ghost mt' disabled={busy} onClick={() => void decide(request, false)}>
              拒绝
            </Button>
          </View>
        ))}
        {decided ? <View className='notice notice--ok mt'>{decided}</View> : null}
      </View>

      <View className='section'>
        <View className='section__title'>
          支付密码
          <View className='section__more'>{pin ? (pin.set ? (pin.lockedUntil ? '已锁定' : '已设置') : '未设置') : ''}</View>
        </View>
        <View className='muted'>在收银台输入 6 位支付密码，超过限额的储值支付无需在手机上确认。请勿告诉他人。</View>
        {pin?.lockedUntil ? <View className='notice mt'>密码错误次数过多，{chinaDateTime(pin.lockedUntil)} 前不能使用；可直接设置新密码。</View> : null}
        {editing ? (
          <View>
            {pin?.set && !pin.lockedUntil ? (
              <Input className='input input--boxed mt' type='number' password maxlength={6} placeholder='当前支付密码' value={current} onInput={(e) => setCurrent(e.detail.value)} />
            ) : null}
            <Input className='input input--boxed mt' type='number' password maxlength={6} placeholder='新的 6 位支付密码' value={next} onInput={(e) => setNext(e.detail.value)} />
            <Input className='input input--boxed mt' type='number' password maxlength={6} placeholder='再输入一次' value={again} onInput={(e) => setAgain(e.detail.value)} />
            <Button className='btn btn--primary mt' disabled={busy} loading={busy} onClick={() => void savePin()}>
              保存
            </Button>
          </View>
        ) : (
          <Button className='btn btn--ghost mt' onClick={() => setEditing(true)}>
            {pin?.set ? '修改支付密码' : '设置支付密码'}
          </Button>
        )}
      </View>
      {error ? <View className='notice notice--error'>{error}</View> : null}
    </View>
  );
}
