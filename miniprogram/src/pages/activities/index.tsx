import { View } from '@tarojs/components';
import Taro, { usePullDownRefresh, useReachBottom } from '@tarojs/taro';
import { useEffect } from 'react';
import { catalogue } from '../../api/endpoints';
import { LoadingMore, Status } from '../../components/Status';
import { usePagedList } from '../../hooks/usePagedList';
import { activityTimeRange, seatsLeftText } from '../../lib/activityText';
import { yuan } from '../../lib/format';
import { useTheme } from '../../lib/theme';

export default function ActivitiesPage() {
  useTheme(); // the brand's navigation bar on every shopper screen
  const list = usePagedList((cursor) => catalogue.activities(cursor));
  useEffect(() => {
    void list.loadMore();
  }, []);
  useReachBottom(() => void list.loadMore());
  usePullDownRefresh(async () => {
    await list.restart();
    Taro.stopPullDownRefresh();
  });

  return (
    <View className='page'>
      <View className='row' style={{ marginBottom: '12px' }}>
        <View className='muted'>门店活动，会员专享</View>
        <View className='link small' onClick={() => void Taro.navigateTo({ url: '/pages/activities/mine' })}>
          我的报名 ›
        </View>
      </View>
      {list.items.map((activity) => {
        return (
          <View key={activity.id} className='list-item' onClick={() => void Taro.navigateTo({ url: `/pages/activities/detail?id=${encodeURIComponent(activity.id)}` })}>
            <View className='coupon__title'>{activity.title}</View>
            <View className='muted mt'>{activityTimeRange(activity.startAt, activity.endAt)}</View>
            <View className='row mt'>
              <View>
                <View className={activity.feeFen ? 'tag tag--orange' : 'tag'}>{activity.feeFen ? yuan(activity.feeFen) : '免费'}</View>
                {activity.attendancePoints ? <View className='tag'>到场送 {activity.attendancePoints} 积分</View> : null}
              </View>
              <View className='muted'>{seatsLeftText(activity)}</View>
            </View>
          </View>
        );
      })}
      <Status error={list.error} onRetry={() => void list.loadMore()} empty={list.finished && list.items.length === 0} emptyText='近期暂无活动'>
        <LoadingMore loading={list.loading} finished={list.finished} hasItems={list.items.length > 0} />
      </Status>
    </View>
  );
}
