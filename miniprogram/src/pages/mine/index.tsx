import { Button, View } from '@tarojs/components';
import { useDidShow } from '@tarojs/taro';
import type { Member } from '@membercard/shared';
import { useState } from 'react';
import { SHOPPER_SIGN_IN_PAGE } from '../../api/session';
import { lastKnownMember } from '../../lib/memberCache';
import { openPage } from '../../lib/navigation';
import { useTheme } from '../../lib/theme';

const links = [
  { title: '我的积分', hint: '明细 · 积分商城', url: '/pages/points/index' },
  { title: '会员等级', hint: '权益 · 升级进度', url: '/pages/tier/index' },
  { title: '我的报名', hint: '已报名的活动', url: '/pages/activities/mine' },
  { title: '个人资料', hint: '完善资料送积分', url: '/pages/profile/index' },
  { title: '储值支付', hint: '确认付款 · 支付密码', url: '/pages/stored-value-pay/index' },
  { title: '邀请好友', hint: '好友首单 双方得奖励', url: '/pages/referral/index' },
];

/** 我的: who is signed in and the member's own pages (points, tier, sign-ups, profile). */
export default function MinePage() {
  useTheme(); // the brand's navigation bar on every shopper screen
  // The card page keeps the last member answer; reading it here costs no request and works offline.
  const [member, setMember] = useState<Member | null>(lastKnownMember);
  useDidShow(() => setMember(lastKnownMember()));
  return (
    <View className='page'>
      <View className='section'>
        {member ? (
          <View>
            <View className='strong'>{member.name || '会员'}</View>
            <View className='muted mt'>卡号 {member.cardNo}</View>
          </View>
        ) : (
          <View>
            <View className='muted'>登录后查看积分、等级和报名</View>
            <Button className='btn btn--primary mt' onClick={() => void openPage(SHOPPER_SIGN_IN_PAGE)}>
              登录并开卡
            </Button>
          </View>
        )}
      </View>
      <View className='section'>
        {links.map((link) => (
          <View key={link.url} className='field' onClick={() => void openPage(link.url)}>
            <View className='field__value'>{link.title}</View>
            <View className='field__hint'>{link.hint} ›</View>
          </View>
        ))}
      </View>
    </View>
  );
}
