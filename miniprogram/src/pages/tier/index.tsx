import { View } from '@tarojs/components';
import { tierProgress, type TierDefinition } from '@membercard/shared';
import { catalogue, shopper } from '../../api/endpoints';
import { Status } from '../../components/Status';
import { useAsync } from '../../hooks/useAsync';
import { yuan } from '../../lib/format';

export default function TierPage() {
  const state = useAsync(async () => {
    const [member, tiers] = await Promise.all([shopper.me(), catalogue.tiers()]);
    const ladder = tiers.items.map((tier) => ({ pointsMultiplier: 1, ...tier })) as TierDefinition[];
    // The server's own figure wins; the shared rule fills in when it is absent.
    const progress = member.tierProgress ?? tierProgress(ladder, member.tier.code, member.spend12mFen ?? 0);
    return { member, ladder, progress };
  });
  const data = state.data;
  return (
    <View className='page'>
      <Status loading={state.loading && !data} error={state.error} onRetry={() => void state.reload()}>
        {data ? (
          <View>
            <View className='section'>
              <View className='muted'>当前等级</View>
              <View style={{ fontSize: '24px', fontWeight: 700, margin: '4px 0 12px' }}>{data.member.tier.name}</View>
              {data.progress.next ? (
                <View>
                  <View className='progress'>
                    <View className='progress__bar' style={{ width: `${data.progress.percent}%` }} />
                  </View>
                  <View className='muted mt'>
                    再消费 {yuan(data.progress.spendToNextFen)} 升级为{data.progress.next.name}（近 12 个月累计消费）
                  </View>
                </View>
              ) : (
                <View className='green'>您已是最高等级，尊享全部权益</View>
              )}
            </View>
            {data.ladder.map((tier) => (
              <View key={tier.code} className={tier.code === data.member.tier.code ? 'section tier tier--current' : 'section tier'}>
                <View className='section__title'>
                  {tier.name}
                  <View className='section__more'>{tier.minSpendFen ? `年消费满 ${yuan(tier.minSpendFen)}` : '开卡即享'}</View>
                </View>
                {tier.benefits.map((benefit) => (
                  <View key={benefit} className='small' style={{ padding: '3px 0' }}>
                    ✓ {benefit}
                  </View>
                ))}
                {tier.code === data.member.tier.code ? <View className='tag mt'>当前等级</View> : null}
              </View>
            ))}
          </View>
        ) : null}
      </Status>
    </View>
  );
}
