import { Button, Input, View } from '@tarojs/components';
import {
  StoredValueChargeAnswerSchema,
  type CounterPanel,
  type CounterStoredValueChargeBody,
  type OtherPaymentMethod,
  type StoredValueAwaiting,
  type StoredValueCharge,
} from '@membercard/shared';
import { useEffect, useRef, useState } from 'react';
import { ApiError, readableError } from '../../api/errors';
import { staffApi } from '../../api/session';
import { newOrderNo, parseYuanToFen, yuan } from '../../lib/format';
import './counter.css';

/** The till's receipt number as the server takes it (letters, digits, - and _). */
const RECEIPT_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** While the member decides on the phone, the till sends the same charge again this often. */
const POLL_MS = 2_000;

const methodText: Record<OtherPaymentMethod, string> = { cash: '现金', wechat_pay: '微信支付' };

const chargeOnce = (body: CounterStoredValueChargeBody) => staffApi.post('/staff/counter/stored-value/charges', { body, answer: StoredValueChargeAnswerSchema });

/** What a refused stored-value charge means at the counter. */
function chargeError(failure: unknown): string {
  if (failure instanceof ApiError) {
    if (failure.code === 'INSUFFICIENT_BALANCE') return '储值余额不足，请减少储值支付金额，其余用现金或微信支付';
    if (failure.code === 'IDEMPOTENCY_KEY_REUSED') return '这个小票号已用于另一笔储值支付，请核对小票号';
    if (failure.code === 'CODE_INVALID') return '扫码已超过 10 分钟或无效，请重新扫会员码';
    if (failure.code === 'PIN_INVALID') {
      const left = (failure.details as { attemptsLeft?: number } | undefined)?.attemptsLeft;
      return left ? `支付密码错误，还可再试 ${left} 次` : '支付密码错误';
    }
  }
  return readableError(failure);
}

/**
 * 储值支付 in the member panel: the balance (principal and bonus), and paying all or part of the order from it,
 * the rest in cash or WeChat Pay. Above HQ's amount the member approves on the phone (the till asks again every
 * 2 s until they do) or types their 6-digit payment PIN here.
 */
export function StoredValuePay({ panel, storeId }: { panel: CounterPanel; storeId: string }) {
  const balance = panel.storedValue;
  const [amount, setAmount] = useState('');
  const [total, setTotal] = useState('');
  const [method, setMethod] = useState<OtherPaymentMethod>('cash');
  const [receipt, setReceipt] = useState(() => newOrderNo(storeId));
  const [pin, setPin] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [waiting, setWaiting] = useState<{ body: CounterStoredValueChargeBody; awaiting: StoredValueAwaiting } | null>(null);
  const [done, setDone] = useState<StoredValueCharge | null>(null);
  const polling = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => () => {
    if (polling.current) clearTimeout(polling.current);
  }, []);

  // Until the member decides, the same charge goes again with the confirmation; the server answers 202 meanwhile.
  useEffect(() => {
    if (!waiting) return;
    polling.current = setTimeout(() => {
      void chargeOnce({ ...waiting.body, confirmationId: waiting.awaiting.confirmationId })
        .then((answer) => (answer.status === 'charged' ? finish(answer) : setWaiting({ ...waiting })))
        .catch((failure: unknown) => {
          setWaiting(null);
          setError(chargeError(failure));
        });
    }, POLL_MS);
    return () => {
      if (polling.current) clearTimeout(polling.current);
    };
  }, [waiting]);

  if (!balance) return null;

  const amountFen = parseYuanToFen(amount);
  const totalFen = total.trim() ? parseYuanToFen(total) : amountFen;
  const restFen = amountFen !== null && totalFen !== null ? totalFen - amountFen : null;
  const needsMember = amountFen !== null && amountFen > balance.confirmAboveFen;

  function finish(answer: StoredValueCharge) {
    setWaiting(null);
    setDone(answer);
    setPin('');
  }

  async function pay() {
    if (amountFen === null) return setError('请输入正确的储值支付金额');
    if (totalFen === null || restFen === null || restFen < 0) return setError('订单总额不能小于储值支付金额');
    if (amountFen > balance!.totalFen) return setError(`储值余额只有 ${yuan(balance!.totalFen)}`);
    if (!RECEIPT_PATTERN.test(receipt.trim())) return setError('请输入收银小票上的单号（字母、数字、- 或 _）');
    if (pin && !/^\d{6}$/.test(pin)) return setError('支付密码是 6 位数字');
    const body: CounterStoredValueChargeBody = {
      ticket: panel.ticket,
      orderNo: receipt.trim(),
      orderTotalFen: totalFen,
      amountFen,
      otherPayments: restFen > 0 ? [{ method, amountFen: restFen }] : [],
      ...(needsMember && pin ? { pin } : {}),
    };
    setBusy(true);
    setError(null);
    try {
      const answer = await chargeOnce(body);
      if (answer.status === 'charged') finish(answer);
      else setWaiting({ body, awaiting: answer });
    } catch (failure) {
      setError(chargeError(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <View className='section'>
      <View className='section__title'>
        储值余额
        <View className='section__more'>超过 {yuan(balance.confirmAboveFen)} 需会员确认</View>
      </View>
      <View className='counter-total'>
        <View className='counter-total__net'>{yuan(done ? done.balanceAfter.totalFen : balance.totalFen)}</View>
        <View className='muted'>
          本金 {yuan(done ? done.balanceAfter.principalFen : balance.principalFen)} · 赠送 {yuan(done ? done.balanceAfter.bonusFen : balance.bonusFen)}
        </View>
      </View>
      {done ? (
        <View className='notice notice--ok'>
          储值支付成功：扣款 {yuan(done.amountFen)}（本金 {yuan(done.principalFen)}，赠送 {yuan(done.bonusFen)}）
          {done.otherPayments.map((p) => `，另收${methodText[p.method]} ${yuan(p.amountFen)}`).join('')}。小票号 {done.orderNo}
        </View>
      ) : waiting ? (
        <View>
          <View className='notice'>
            等待会员在手机上确认支付 {yuan(waiting.awaiting.amountFen)}…（请会员打开会员卡小程序「我的 → 储值支付」确认）
          </View>
          <Button
            className='btn btn--ghost mt'
            onClick={() => {
              setWaiting(null);
              setError('已停止等待；可让会员输入支付密码后重新支付');
            }}
          >
            停止等待，改用支付密码
          </Button>
        </View>
      ) : balance.totalFen === 0 ? (
        <View className='muted'>该会员暂无储值余额</View>
      ) : (
        <View>
          <View className='muted small mt'>储值支付金额（元）</View>
          <Input className='input input--boxed' type='digit' placeholder='储值支付金额（元）' value={amount} onInput={(e) => setAmount(e.detail.value)} />
          <View className='muted small mt'>订单总额（元，含现金或微信支付的部分）</View>
          <Input className='input input--boxed' type='digit' placeholder='订单总额（元，默认与储值支付相同）' value={total} onInput={(e) => setTotal(e.detail.value)} />
          {restFen !== null && restFen > 0 ? (
            <View className='row row--gap mt'>
              <View className='muted'>其余 {yuan(restFen)} 用</View>
              {(['cash', 'wechat_pay'] as const).map((m) => (
                <Button key={m} className={`btn btn--small ${method === m ? 'btn--primary' : 'btn--ghost'}`} onClick={() => setMethod(m)}>
                  {methodText[m]}
                </Button>
              ))}
            </View>
          ) : null}
          <View className='muted small mt'>收银小票单号</View>
          <Input className='input input--boxed' placeholder='收银小票单号' value={receipt} onInput={(e) => setReceipt(e.detail.value)} />
          {needsMember ? (
            <View className='mt'>
              <View className='muted'>
                超过 {yuan(balance.confirmAboveFen)}：{balance.pinSet ? '请会员输入 6 位支付密码，或不填密码、由会员在手机上确认' : '会员未设支付密码，将请会员在手机上确认'}
              </View>
              {balance.pinSet ? (
                <Input className='input input--boxed mt' type='number' password maxlength={6} placeholder='会员支付密码（6 位）' value={pin} onInput={(e) => setPin(e.detail.value)} />
              ) : null}
            </View>
          ) : null}
          <Button className='btn btn--primary mt' disabled={busy || amountFen === null} loading={busy} onClick={() => void pay()}>
            {amountFen !== null ? `储值支付 ${yuan(amountFen)}` : '储值支付'}
          </Button>
        </View>
      )}
      {error ? <View className='notice notice--error'>{error}</View> : null}
    </View>
  );
}
