import { Button, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import { useState } from 'react';
import { shopper } from '../../api/endpoints';
import { newIdempotencyKey } from '../../api/client';
import { readableError } from '../../api/errors';
import type { ExchangeableTemplate } from '../../api/schemas';
import { Status } from '../../components/Status';
import { useAsync } from '../../hooks/useAsync';
import { couponCondition, couponFace } from '../../lib/couponText';
import { accentButtonStyle, useTheme } from '../../lib/theme';

export default function PointsMallPage() {
  const theme = useTheme(); // the brand's navigation bar, and its accent on 兑换
  const catalogueState = useAsync(async () => {
    const [member, templates] = await Promise.all([shopper.me(), shopper.exchangeable()]);
    return { balance: member.pointsBalance, templates: templates.items };
  });
  const [busyId, setBusyId] = useState<string | null>(null);

  async function exchange(template: ExchangeableTemplate) {
    const cost = template.pointsCost ?? 0;
    const { confirm } = await Taro.showModal({ title: '确认兑换', content: `使用 ${cost} 积分兑换「${template.title}」？`, confirmColor: '#07c160' });
    if (!confirm) return;
    setBusyId(template.id);
    try {
      // One key per confirmed exchange, so a retried request is not charged twice.
      await shopper.exchange(template.id, newIdempotencyKey('exchange'));
      void Taro.showToast({ title: '兑换成功，券已放入卡包', icon: 'none' });
      await catalogueState.reload();
    } catch (failure) {
      void Taro.showToast({ title: readableError(failure), icon: 'none' });
    } finally {
      setBusyId(null);
    }
  }

  const data = catalogueState.data;
  return (
    <View className='page'>
      <Status loading={catalogueState.loading && !data} error={catalogueState.error} onRetry={() => void catalogueState.reload()} empty={data?.templates.length === 0} emptyText='暂无可兑换的优惠券'>
        {data ? (
          <View>
            <View className='notice notice--ok'>当前可用积分 {data.balance}</View>
            {data.templates.map((template) => {
              const cost = template.pointsCost ?? 0;
              const affordable = data.balance >= cost;
              return (
                <View key={template.id} className='coupon'>
                  <View className='coupon__value'>
                    <View className='coupon__amount'>{couponFace(template)}</View>
                    <View className='coupon__cond'>{couponCondition(template)}</View>
                  </View>
                  <View className='coupon__body'>
                    <View className='coupon__title'>{template.title}</View>
                    <View className='row mt'>
                      <View className='orange strong'>{cost} 积分</View>
                      <Button className='btn btn--accent btn--small' style={accentButtonStyle(theme)} disabled={!affordable || busyId !== null} loading={busyId === template.id} onClick={() => void exchange(template)}>
                        {affordable ? '兑换' : '积分不足'}
                      </Button>
                    </View>
                  </View>
                </View>
              );
            })}
          </View>
        ) : null}
      </Status>
    </View>
  );
}
