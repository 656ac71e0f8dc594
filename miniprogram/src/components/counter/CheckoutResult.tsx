import { Button, View } from '@tarojs/components';
import type { CounterCheckoutAnswer } from '@membercard/shared';
import { yuan } from '../../lib/format';
import './counter.css';

/** The confirmation's outcome: points earned, the new balance, the coupons used and what was paid. */
export function CheckoutResult({ answer, onNext }: { answer: CounterCheckoutAnswer; onNext: () => void }) {
  return (
    <View className='section'>
      <View className='section__title'>
        结算成功
        <View className='section__more'>小票号 {answer.orderNo}</View>
      </View>
      <View className='counter-result__points'>+{answer.pointsEarned}</View>
      <View className='center muted'>本次积分</View>
      <View className='notice notice--ok mt'>
        已记录消费 {yuan(answer.netFen)}，本次积分 +{answer.pointsEarned}，会员当前积分 {answer.pointsBalance}（{answer.tier.name}）
      </View>
      <View className='field'>
        <View className='field__label'>应收</View>
        <View className='field__value'>{yuan(answer.amountFen)}</View>
      </View>
      {answer.coupons.map((coupon) => (
        <View key={coupon.couponId} className='field'>
          <View className='field__label'>已核销</View>
          <View className='field__value'>
            {coupon.title}
            {coupon.savingFen > 0 ? <View className='red' style={{ display: 'inline' }}>{` -${yuan(coupon.savingFen)}`}</View> : null}
          </View>
        </View>
      ))}
      <View className='field'>
        <View className='field__label'>实收</View>
        <View className='field__value strong'>{yuan(answer.netFen)}</View>
      </View>
      <View className='field'>
        <View className='field__label'>当前积分</View>
        <View className='field__value'>
          {answer.pointsBalance}（{answer.tier.name}）
        </View>
      </View>
      <Button className='btn btn--primary mt' onClick={onNext}>
        下一位
      </Button>
    </View>
  );
}
