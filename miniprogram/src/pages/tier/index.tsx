import { Button, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import { tierProgress, type TierDefinition } from '@membercard/shared';
import { useEffect, useState } from 'react';
import { catalogue, shopper } from '../../api/endpoints';
import { Status } from '../../components/Status';
import { useAsync } from '../../hooks/useAsync';
import { yuan } from '../../lib/format';
import { BenefitLine } from './BenefitLine';
import { benefitIcon, lastSeenTierStorage, movedUpSince, nextTierEarningText } from '../../lib/tierText';
import { useTheme } from '../../lib/theme';

export default function TierPage() {
  useTheme(); // the brand's navigation bar on every shopper screen
  const state = useAsync(async () => {
    const [member, tiers] = await Promise.all([shopper.me(), catalogue.tiers()]);
    const ladder = tiers.items.map((tier) => ({ pointsMultiplier: 1, ...tier })) as TierDefinition[];
    // The server's own figure wins; the shared rule fills in when it is absent.
    const progress = member.tierProgress ?? tierProgress(ladder, member.tier.code, member.spend12mFen ?? 0);
    return { member, ladder, progress };
  });
  const [celebrating, setCelebrating] = useState(false);
  const data = state.data;

  // The phone remembers the tier it last showed this card: a higher one now is celebrated once, then remembered.
  useEffect(() => {
    if (!data) return;
    const seen = { cardNo: data.member.cardNo, tierCode: data.member.tier.code };
    if (movedUpSince(data.ladder, lastSeenTierStorage.read(Taro.getStorageSync), seen)) setCelebrating(true);
    Taro.setStorageSync(lastSeenTierStorage.key, seen);
  }, [data]);

  const current = data?.ladder.find((tier) => tier.code === data.member.tier.code);
  const next = data?.progress.next ? data.ladder.find((tier) => tier.code === data.progress.next!.code) : undefined;
  const spent = data?.member.spend12mFen;
  return (
    <View className='page'>
      <Status loading={state.loading && !data} error={state.error} onRetry={() => void state.reload()}>
        {data ? (
          <View>
            <View className='section'>
              <View className='muted'>当前等级</View>
              <View style={{ fontSize: '24px', fontWeight: 700, margin: '4px 0 12px' }}>{data.member.tier.name}</View>
              {data.progress.next ? (
                <View className='tier-progress'>
                  <View className='row small'>
                    <View>{spent !== undefined ? `近 12 个月已消费 ${yuan(spent)}` : `已完成 ${data.progress.percent}%`}</View>
                    <View className='muted'>{next ? `${next.name} ${yuan(next.minSpendFen)}` : data.progress.next.name}</View>
                  </View>
                  <View className='progress mt'>
                    <View className='progress__bar' style={{ width: `${data.progress.percent}%` }} />
                  </View>
                  <View className='muted mt'>
                    再消费 <View style={{ display: 'inline', color: '#07c160', fontWeight: 600 }}>{yuan(data.progress.spendToNextFen)}</View> 升级为
                    {data.progress.next.name}
                  </View>
                  {current && next ? <View className='small mt'>{nextTierEarningText(current, next)}</View> : null}
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
                  <BenefitLine key={benefit} icon={benefitIcon(benefit)} text={benefit} />
                ))}
                {tier.code === data.member.tier.code ? <View className='tag mt'>当前等级</View> : null}
              </View>
            ))}
            {celebrating ? (
              <View className='sheet-mask tier-celebration' style={{ alignItems: 'center', justifyContent: 'center' }} onClick={() => setCelebrating(false)}>
                <View className='sheet center' style={{ width: '80%', borderRadius: '16px' }} onClick={(event) => event.stopPropagation()}>
                  <View style={{ width: '64px', height: '64px', lineHeight: '64px', borderRadius: '32px', margin: '0 auto 12px', background: 'linear-gradient(135deg, #f5c04a, #e8a317)', color: '#fff', fontSize: '32px' }}>★</View>
                  <View className='sheet__title'>恭喜升级为{data.member.tier.name}</View>
                  {(current?.benefits ?? []).slice(0, 3).map((benefit) => (
                    <BenefitLine key={benefit} icon={benefitIcon(benefit)} text={benefit} />
                  ))}
                  <Button className='btn btn--primary mt' onClick={() => setCelebrating(false)}>
                    太棒了
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
