import { View } from '@tarojs/components';
import type { MaskedMember } from '@membercard/shared';
import { groupCardNo, chinaDateTime, yuan } from '../../lib/format';
import './counter.css';

/** Who the clerk is serving: masked name, tier, points, last visit and the latest purchases. */
export function MemberSummary({ member, storeName }: { member: MaskedMember; storeName: (storeId: string) => string }) {
  return (
    <View className='section'>
      <View className='counter-member'>
        <View>
          <View className='counter-member__name'>{member.maskedName ?? '未填写姓名'}</View>
          <View className='mt'>
            <View className='tag'>{member.tier.name}</View>
            <View className='muted' style={{ display: 'inline' }}>
              {member.maskedPhone ?? '未绑定手机'}
            </View>
          </View>
        </View>
        <View className='counter-member__points'>
          <View className='counter-member__points-value'>{member.pointsBalance}</View>
          <View className='muted'>积分</View>
        </View>
      </View>
      <View className='field'>
        <View className='field__label'>卡号</View>
        <View className='field__value'>{groupCardNo(member.cardNo)}</View>
      </View>
      <View className='field'>
        <View className='field__label'>上次到店</View>
        <View className='field__value'>{member.lastVisitAt ? chinaDateTime(member.lastVisitAt) : '首次到店'}</View>
      </View>
      {member.recentPurchases?.length ? (
        <View className='mt'>
          <View className='muted'>最近消费</View>
          {member.recentPurchases.slice(0, 3).map((purchase) => (
            <View key={`${purchase.storeId}-${purchase.orderNo}`} className='row small' style={{ padding: '6px 0' }}>
              <View>
                {chinaDateTime(purchase.createdAt)} · {storeName(purchase.storeId)}
                {purchase.lines?.length ? ` · ${purchase.lines.map((line) => line.name).slice(0, 2).join('、')}${purchase.lines.length > 2 ? '等' : ''}` : ''}
              </View>
              <View>{yuan(purchase.amountFen)}</View>
            </View>
          ))}
        </View>
      ) : null}
    </View>
  );
}
