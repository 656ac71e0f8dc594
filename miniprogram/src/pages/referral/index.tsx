import { Button, Image, View } from '@tarojs/components';
import Taro, { useShareAppMessage } from '@tarojs/taro';
import { useState } from 'react';
import { Status } from '../../components/Status';
import { isH5 } from '../../config';
import { useAsync } from '../../hooks/useAsync';
import { chinaDate, yuan } from '../../lib/format';
import { lastKnownMember } from '../../lib/memberCache';
import { referralApi } from './invitation';
import { firstPurchaseText, friendStatusText, rewardText } from './rewardText';
import './index.css';
import { useTheme } from '../../lib/theme';

/** The link a shared invitation opens in the H5 build (WeChat shares the page path instead). */
function h5Link(path: string): string {
  const { origin, pathname } = window.location;
  return `${origin}${pathname}#${path}`;
}

/** 邀请好友: the invitation card (mini-program code and code), sharing, progress, friends and the rules. */
export default function ReferralPage() {
  useTheme(); // the brand's navigation bar on every shopper screen
  const state = useAsync(() => referralApi.prepare());
  const image = useAsync(() => referralApi.codeImage().catch(() => null));
  const [copied, setCopied] = useState(false);
  const data = state.data;
  const name = lastKnownMember()?.name;

  useShareAppMessage(() => ({
    title: data ? `${name ? `${name}` : '好友'}邀请你加入会员，${firstPurchaseText(data.terms.minPurchaseFen)}得${rewardText(data.terms.invitee) || '好礼'}` : '邀请你加入会员',
    // No imageUrl: WeChat draws the share card from the top of this page, which is the invitation card.
    path: data?.path ?? '/pages/join/index',
  }));

  async function copyLink() {
    if (!data) return;
    await Taro.setClipboardData({ data: isH5 ? h5Link(data.path) : data.path });
    setCopied(true);
  }

  const inviterReward = data ? rewardText(data.terms.inviter) : '';
  const inviteeReward = data ? rewardText(data.terms.invitee) : '';
  return (
    <View className='page'>
      <Status loading={state.loading && !data} error={state.error} onRetry={() => void state.reload()}>
        {data ? (
          <View>
            {!data.terms.enabled ? <View className='notice'>邀请有礼暂未开放，已邀请的好友仍会记录</View> : null}
            <View className='invite-card' data-testid='invitation-card'>
              <View className='invite-card__title'>邀请好友 一起得好礼</View>
              <View className='invite-card__sub'>
                好友{firstPurchaseText(data.terms.minPurchaseFen)}后，你得 {inviterReward || '—'}，好友得 {inviteeReward || '—'}
              </View>
              <View className='invite-card__code'>
                {image.data ? <Image className='invite-card__qr' src={image.data.dataUrl} mode='aspectFit' data-testid='invitation-qr' /> : <View className='invite-card__qr' />}
                <View>
                  <View className='muted'>我的邀请码</View>
                  <View className='invite-card__number' data-testid='invitation-code'>{data.code}</View>
                  <View className='invite-card__hint'>{isH5 ? '好友扫码或打开链接即可开卡' : '好友长按识别小程序码即可开卡'}</View>
                </View>
              </View>
            </View>
            <View className='mt-lg'>
              {isH5 ? (
                <Button className='btn btn--primary' onClick={() => void copyLink()}>
                  {copied ? '链接已复制' : '复制邀请链接'}
                </Button>
              ) : (
                <Button className='btn btn--primary' openType='share'>
                  分享给微信好友
                </Button>
              )}
              {isH5 ? <View className='invite-link' data-testid='invitation-link'>{h5Link(data.path)}</View> : null}
            </View>

            <View className='section mt-lg'>
              <View className='section__title'>邀请进度</View>
              <View className='invite-progress' data-testid='invitation-progress'>
                {[
                  ['已邀请', data.progress.invited],
                  ['已开卡', data.progress.joined],
                  ['已首单', data.progress.purchased],
                  ['获得积分', data.progress.rewards.points],
                ].map(([label, value]) => (
                  <View key={label} className='invite-progress__item'>
                    <View className='invite-progress__value'>{value}</View>
                    <View className='muted'>{label}</View>
                  </View>
                ))}
              </View>
              {data.progress.rewards.coupons > 0 ? <View className='muted mt center'>另得优惠券 {data.progress.rewards.coupons} 张，已放入卡包</View> : null}
            </View>

            {data.invitedBy ? (
              <View className='section'>
                <View className='section__title'>我受邀开卡</View>
                <View className='small'>
                  {data.invitedBy.status === 'rewarded'
                    ? `首单奖励已到账：${inviteeReward || '—'}`
                    : data.invitedBy.status === 'joined'
                      ? `${chinaDate(data.invitedBy.deadline)} 前${firstPurchaseText(data.terms.minPurchaseFen)}，你可得 ${inviteeReward || '—'}`
                      : friendStatusText(data.invitedBy.status, data.invitedBy.refusal).text}
                </View>
              </View>
            ) : null}

            <View className='section'>
              <View className='section__title'>
                我邀请的好友<View className='section__more'>{data.friends.length} 位</View>
              </View>
              {data.friends.length === 0 ? <View className='muted'>还没有好友通过你的邀请开卡</View> : null}
              {data.friends.map((friend) => {
                const status = friendStatusText(friend.status, friend.refusal);
                return (
                  <View key={`${friend.joinedAt}-${friend.maskedName}`} className='invite-friend' data-testid='invitation-friend'>
                    <View>
                      <View>{friend.maskedName ?? '好友'}</View>
                      <View className='muted'>{chinaDate(friend.joinedAt)} 开卡</View>
                    </View>
                    <View className={status.tone === 'grey' ? 'tag tag--grey' : status.tone === 'orange' ? 'tag tag--orange' : 'tag'}>{status.text}</View>
                  </View>
                );
              })}
            </View>

            <View className='section'>
              <View className='section__title'>活动规则</View>
              <View className='invite-rules'>
                <View>1. 好友通过你分享的卡片、链接或小程序码开通会员，并在开卡后 {data.terms.windowDays} 天内{firstPurchaseText(data.terms.minPurchaseFen)}，你得 {inviterReward || '—'}，好友得 {inviteeReward || '—'}。</View>
                <View>2. 每位好友仅计一次奖励，奖励在好友首单完成后发放到账户。</View>
                <View>3. 邀请自己（同一会员、同一手机号）、注销后重新开卡的账号、与你在同一设备上开卡的好友，不计奖励。</View>
                {data.terms.minPurchaseFen > 0 ? <View>4. 首单金额以门店结账的实付金额为准（{yuan(data.terms.minPurchaseFen)} 起）。</View> : null}
              </View>
            </View>
          </View>
        ) : null}
      </Status>
    </View>
  );
}
