import { Button, Input, View } from '@tarojs/components';
import { earnPoints, planCheckout, type CounterCheckoutAnswer, type CounterCoupon, type CounterPanel } from '@membercard/shared';
import { useMemo, useState } from 'react';
import { ApiError, readableError } from '../../api/errors';
import { couponCondition, couponFace } from '../../lib/couponText';
import { parseYuanToFen, yuan } from '../../lib/format';
import { counterCheckout } from './api';
import { refusalText } from './text';
import './counter.css';

/** The till's receipt number as the server takes it (letters, digits, - and _). */
const RECEIPT_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** What a refused confirmation means at the counter, where the shared sentence is too general. */
function checkoutError(failure: unknown): string {
  if (failure instanceof ApiError) {
    if (failure.code === 'IDEMPOTENCY_KEY_REUSED') return '这个小票号已结算过另一笔消费，请核对小票号';
    if (failure.code === 'ORDER_NO_OTHER_MEMBER') return '这个小票号已用于其他会员的消费，请核对小票号';
    if (failure.code === 'CODE_INVALID') return '扫码已超过 10 分钟或无效，请重新扫会员码';
  }
  return readableError(failure);
}

interface Props {
  panel: CounterPanel;
  onDone: (answer: CounterCheckoutAnswer) => void;
}

/**
 * Amount, receipt number and the coupons to use, with the net amount and the points worked out live by the
 * same shared rules the server books with; then one confirmation.
 */
export function CheckoutForm({ panel, onDone }: Props) {
  const [amount, setAmount] = useState('');
  const [receipt, setReceipt] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const amountFen = parseYuanToFen(amount);
  const byId = useMemo(() => new Map(panel.coupons.map((c) => [c.id, c])), [panel.coupons]);
  // Ticked coupons apply in the panel's order (usable ones, biggest saving first), as the server is sent them.
  const ordered = panel.coupons.filter((c) => chosen.includes(c.id));
  const plan = amountFen === null ? null : planCheckout(amountFen, ordered);
  const stepOf = (id: string) => plan?.applied.find((step) => step.id === id);
  const blocked = plan?.applied.find((step) => step.refusal);
  const points = plan ? earnPoints({ amountFen: plan.netFen, ...panel.earning }) : null;
  const receiptOk = RECEIPT_PATTERN.test(receipt.trim());

  function toggle(coupon: CounterCoupon) {
    if (coupon.refusal) return;
    setChosen((now) => (now.includes(coupon.id) ? now.filter((id) => id !== coupon.id) : [...now, coupon.id]));
  }

  async function confirm() {
    if (amountFen === null) return setError('请输入正确的消费金额');
    if (!receiptOk) return setError('请输入收银小票上的单号（字母、数字、- 或 _）');
    setBusy(true);
    setError(null);
    try {
      onDone(await counterCheckout.confirm({ ticket: panel.ticket, orderNo: receipt.trim(), amountFen, couponIds: ordered.map((c) => c.id) }));
    } catch (failure) {
      setError(checkoutError(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <View className='section'>
      <View className='section__title'>记录消费</View>
      <Input className='input input--boxed' type='digit' placeholder='消费金额（元，小票应收金额）' value={amount} onInput={(e) => setAmount(e.detail.value)} />
      <Input className='input input--boxed mt' placeholder='小票号（收银小票上的单号）' value={receipt} onInput={(e) => setReceipt(e.detail.value)} />

      <View className='mt-lg strong'>会员持有的券</View>
      {panel.coupons.length === 0 ? <View className='muted mt'>该会员没有可用的券</View> : null}
      {panel.coupons.map((coupon) => {
        const on = chosen.includes(coupon.id);
        const step = on ? stepOf(coupon.id) : undefined;
        const why = coupon.refusal ?? step?.refusal ?? null;
        return (
          <View
            key={coupon.id}
            className={`counter-coupon ${on ? 'counter-coupon--on' : ''} ${coupon.refusal ? 'counter-coupon--off' : ''}`}
            aria-label={coupon.title}
            onClick={() => toggle(coupon)}
          >
            <View className='counter-coupon__box'>{on ? '✓' : ''}</View>
            <View className='counter-coupon__body'>
              <View className='counter-coupon__title'>{coupon.title}</View>
              <View className='counter-coupon__terms'>
                {couponFace(coupon)} · {couponCondition(coupon)}
              </View>
              {why ? <View className='counter-coupon__why'>{refusalText(why, byId.get(coupon.id)!, step !== undefined && step.orderAmountFen !== amountFen)}</View> : null}
            </View>
            {step && !step.refusal && step.savingFen > 0 ? <View className='counter-coupon__saving'>-{yuan(step.savingFen)}</View> : null}
          </View>
        );
      })}

      <View className='mt-lg'>
        <View className='counter-total'>
          <View className='muted'>应收</View>
          <View>{amountFen === null ? '—' : yuan(amountFen)}</View>
        </View>
        {plan && plan.discountFen > 0 ? (
          <View className='counter-total'>
            <View className='muted'>用券优惠</View>
            <View className='red'>-{yuan(plan.discountFen)}</View>
          </View>
        ) : null}
        <View className='counter-total'>
          <View className='strong'>实收</View>
          <View className='counter-total__net'>{plan ? yuan(plan.netFen) : '—'}</View>
        </View>
        {points !== null ? <View className='muted'>本次可得积分 +{points}</View> : null}
      </View>
      {error ? <View className='notice notice--error mt'>{error}</View> : null}
      <Button className='btn btn--primary mt' disabled={busy || amountFen === null || !receiptOk || Boolean(blocked)} loading={busy} onClick={() => void confirm()}>
        确认
      </Button>
      {blocked ? <View className='muted mt'>有券不满足使用条件，请取消勾选后再确认</View> : null}
    </View>
  );
}
