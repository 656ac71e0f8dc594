import { View } from '@tarojs/components';
import Taro, { usePullDownRefresh, useReachBottom } from '@tarojs/taro';
import { useEffect } from 'react';
import { shopper } from '../../api/endpoints';
import { LoadingMore, Status } from '../../components/Status';
import { useAsync } from '../../hooks/useAsync';
import { usePagedList } from '../../hooks/usePagedList';
import { chinaDate, chinaDateTime } from '../../lib/format';
import { ledgerLine } from '../../lib/historyText';
import { useTheme } from '../../lib/theme';

export default function PointsPage() {
  useTheme(); // the brand's navigation bar on every shopper screen
  const member = useAsync(() => shopper.me());
  const ledger = usePagedList((cursor) => shopper.ledger(cursor));
  useEffect(() => {
    void ledger.loadMore();
  }, []);
  useReachBottom(() => void ledger.loadMore());
  usePullDownRefresh(async () => {
    await Promise.all([member.reload(), ledger.restart()]);
    Taro.stopPullDownRefresh();
  });

  return (
    <View className='page'>
      <Status loading={member.loading && !member.data} error={member.error} onRetry={() => void member.reload()}>
        {member.data ? (
          <View className='section points-head'>
            <View className='muted'>可用积分</View>
            <View className='row'>
              <View style={{ fontSize: '32px', fontWeight: 700 }}>{member.data.pointsBalance}</View>
              <View className='btn btn--primary btn--small' onClick={() => void Taro.navigateTo({ url: '/pages/points/mall' })}>
                积分商城
              </View>
            </View>
            {member.data.pointsExpiringSoon ? (
              <View className='notice mt'>
                {member.data.pointsExpiringSoon.amount} 积分将于 {chinaDate(member.data.pointsExpiringSoon.at)} 过期，记得去积分商城兑换
              </View>
            ) : (
              <View className='muted mt'>近 30 天没有即将过期的积分</View>
            )}
          </View>
        ) : null}
      </Status>
      <View className='section'>
        <View className='section__title'>积分明细</View>
        {ledger.items.map((entry) => {
          const line = ledgerLine(entry);
          return (
            <View key={entry.id} className='field ledger-line'>
              <View className='field__value'>
                <View>{line.title}</View>
                {line.detail ? <View className='small ledger-line__detail'>{line.detail}</View> : null}
                <View className='muted small'>
                  {chinaDateTime(entry.createdAt)}
                  {entry.expiresAt ? ` · ${chinaDate(entry.expiresAt)} 到期` : ''}
                </View>
              </View>
              <View className={entry.delta > 0 ? 'green strong' : 'strong'}>{entry.delta > 0 ? `+${entry.delta}` : entry.delta}</View>
            </View>
          );
        })}
        <Status error={ledger.error} onRetry={() => void ledger.loadMore()} empty={ledger.finished && ledger.items.length === 0} emptyText='还没有积分记录，消费即可累积积分'>
          <LoadingMore loading={ledger.loading} finished={ledger.finished} hasItems={ledger.items.length > 0} />
        </Status>
      </View>
    </View>
  );
}
