import { Button, Input, Picker, View } from '@tarojs/components';
import Taro, { useDidShow } from '@tarojs/taro';
import { profileCompletion, type Gender, type Member, type ProfilePatchBody } from '@membercard/shared';
import { useEffect, useState } from 'react';
import { shopper } from '../../api/endpoints';
import { shopperApi, SHOPPER_HOME_PAGE } from '../../api/session';
import { readableError } from '../../api/errors';
import { PrivacyDialog } from '../../components/PrivacyDialog';
import { Status } from '../../components/Status';
import { isH5 } from '../../config';
import { useAsync } from '../../hooks/useAsync';
import { forgetMember, rememberMember } from '../../lib/memberCache';
import { askToSubscribe, preloadSubscribeTemplates } from '../../lib/subscribe';
import { useTheme } from '../../lib/theme';

const PROFILE_BONUS_POINTS = 200;
const genders: Array<{ value: Gender; label: string }> = [
  { value: 'female', label: '女' },
  { value: 'male', label: '男' },
  { value: 'other', label: '不便透露' },
];
const interestChoices = ['美妆', '服饰', '运动', '家居', '美食', '数码', '母婴', '旅行'];

interface Draft {
  name: string;
  gender: Gender | '';
  birthday: string;
  city: string;
  interests: string[];
}

function draftOf(member: Member): Draft {
  return {
    name: member.name ?? '',
    gender: member.gender ?? '',
    birthday: member.birthday ?? '',
    city: member.city ?? '',
    interests: member.interests ?? [],
  };
}

/** Only the fields that changed, so an untouched birthday is never re-sent. */
function changes(member: Member, draft: Draft): ProfilePatchBody {
  const patch: ProfilePatchBody = {};
  if (draft.name.trim() !== (member.name ?? '')) patch.name = draft.name.trim() || null;
  if (draft.gender && draft.gender !== member.gender) patch.gender = draft.gender;
  if (draft.birthday && !member.birthday) patch.birthday = draft.birthday;
  if (draft.city.trim() !== (member.city ?? '')) patch.city = draft.city.trim() || null;
  if (draft.interests.join('|') !== (member.interests ?? []).join('|')) patch.interests = draft.interests.length ? draft.interests : null;
  return patch;
}

function todayInChina(): string {
  return new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
}

export default function ProfilePage() {
  useTheme(); // the brand's navigation bar on every shopper screen
  const member = useAsync(() => shopper.me());
  const [draft, setDraft] = useState<Draft | null>(null);
  const [saving, setSaving] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);

  // The draft starts from the first answer and then belongs to the shopper: binding a phone (which answers a
  // fresh Member) must not wipe what they have typed but not yet saved.
  useEffect(() => {
    const loaded = member.data;
    if (loaded) setDraft((current) => current ?? draftOf(loaded));
  }, [member.data]);
  useDidShow(() => void preloadSubscribeTemplates());

  function accept(updated: Member, before: Member) {
    rememberMember(updated);
    member.setData(updated);
    if (before.profileCompletion < 100 && updated.profileCompletion === 100) {
      setNotice({ ok: true, text: `资料已完善，${PROFILE_BONUS_POINTS} 积分奖励已发放到您的账户` });
      void Taro.showToast({ title: `+${PROFILE_BONUS_POINTS} 积分`, icon: 'success' });
    }
  }

  async function save() {
    if (!member.data || !draft) return;
    const patch = changes(member.data, draft);
    if (Object.keys(patch).length === 0) {
      setNotice({ ok: true, text: '资料没有变化' });
      return;
    }
    setSaving(true);
    setNotice(null);
    try {
      const updated = await shopper.updateProfile(patch);
      setNotice({ ok: true, text: '已保存' });
      accept(updated, member.data);
    } catch (failure) {
      setNotice({ ok: false, text: readableError(failure) });
    } finally {
      setSaving(false);
    }
  }

  async function bindPhone(code: string | undefined) {
    if (!member.data) return;
    if (!code) {
      setNotice({ ok: false, text: '未获得手机号授权' });
      return;
    }
    try {
      const updated = await shopper.bindPhone(code);
      setNotice({ ok: true, text: '手机号已绑定' });
      accept(updated, member.data);
    } catch (failure) {
      setNotice({ ok: false, text: readableError(failure) });
    }
  }

  async function deleteAccount() {
    const { confirm } = await Taro.showModal({
      title: '注销会员',
      content: '注销后，您的个人资料、积分和优惠券将被清除且无法恢复。确定注销吗？',
      confirmText: '确定注销',
      confirmColor: '#fa5151',
      cancelText: '再想想',
    });
    if (!confirm) return;
    setDeleting(true);
    setNotice(null);
    try {
      await shopper.deleteAccount();
      shopperApi.signOut();
      forgetMember();
      void Taro.showToast({ title: '已注销', icon: 'success' });
      void Taro.reLaunch({ url: SHOPPER_HOME_PAGE });
    } catch (failure) {
      setNotice({ ok: false, text: readableError(failure) });
    } finally {
      setDeleting(false);
    }
  }

  const data = member.data;
  // Preview what the draft would reach, with the shared rule the server uses.
  const preview = data && draft ? profileCompletion({ ...draft, phone: data.phone ?? null }) : 0;
  const genderIndex = genders.findIndex((g) => g.value === draft?.gender);

  return (
    <View className='page'>
      <Status loading={member.loading && !data} error={member.error} onRetry={() => void member.reload()}>
        {data && draft ? (
          <View>
            <View className='section'>
              <View className='row'>
                <View className='strong'>资料完善度 {preview}%</View>
                <View className={data.profileCompletion === 100 ? 'muted' : 'orange small'}>
                  {data.profileCompletion === 100 ? '奖励已领取' : `完善全部资料得 ${PROFILE_BONUS_POINTS} 积分`}
                </View>
              </View>
              <View className='progress mt'>
                <View className='progress__bar' style={{ width: `${preview}%` }} />
              </View>
            </View>
            {notice ? <View className={notice.ok ? 'notice notice--ok' : 'notice notice--error'}>{notice.text}</View> : null}
            <View className='section'>
              <View className='field'>
                <View className='field__label'>姓名</View>
                <Input className='input' placeholder='请输入姓名' value={draft.name} maxlength={32} onInput={(e) => setDraft({ ...draft, name: e.detail.value })} />
              </View>
              <Picker mode='selector' range={genders.map((g) => g.label)} value={Math.max(0, genderIndex)} onChange={(e) => setDraft({ ...draft, gender: genders[Number(e.detail.value)]!.value })}>
                <View className='field'>
                  <View className='field__label'>性别</View>
                  <View className={genderIndex >= 0 ? 'field__value' : 'field__value field__hint'}>{genderIndex >= 0 ? genders[genderIndex]!.label : '请选择'}</View>
                </View>
              </Picker>
              {data.birthday ? (
                <View className='field'>
                  <View className='field__label'>生日</View>
                  <View className='field__value'>{data.birthday}</View>
                  <View className='field__hint'>已设置，如需修改请联系门店</View>
                </View>
              ) : (
                <Picker mode='date' value={draft.birthday || '1995-01-01'} start='1900-01-01' end={todayInChina()} onChange={(e) => setDraft({ ...draft, birthday: e.detail.value })}>
                  <View className='field'>
                    <View className='field__label'>生日</View>
                    <View className={draft.birthday ? 'field__value' : 'field__value field__hint'}>{draft.birthday || '请选择（仅可设置一次）'}</View>
                  </View>
                </Picker>
              )}
              <View className='field'>
                <View className='field__label'>城市</View>
                <Input className='input' placeholder='例如 上海' value={draft.city} maxlength={32} onInput={(e) => setDraft({ ...draft, city: e.detail.value })} />
              </View>
              <View className='field' style={{ alignItems: 'flex-start' }}>
                <View className='field__label'>兴趣</View>
                <View className='field__value'>
                  {interestChoices.map((interest) => {
                    const chosen = draft.interests.includes(interest);
                    return (
                      <View
                        key={interest}
                        className={chosen ? 'tag' : 'tag tag--grey'}
                        style={{ marginBottom: '8px' }}
                        onClick={() => setDraft({ ...draft, interests: chosen ? draft.interests.filter((i) => i !== interest) : [...draft.interests, interest] })}
                      >
                        {interest}
                      </View>
                    );
                  })}
                </View>
              </View>
              <View className='field'>
                <View className='field__label'>手机号</View>
                <View className='field__value'>{data.phone ?? <View className='field__hint'>未绑定</View>}</View>
                {isH5 ? (
                  <Button className='btn btn--ghost btn--small' onClick={() => void bindPhone(`demo-${data.cardNo}`)}>
                    {data.phone ? '更换' : '演示绑定'}
                  </Button>
                ) : (
                  <Button className='btn btn--ghost btn--small' openType='getPhoneNumber' onGetPhoneNumber={(e) => void bindPhone((e.detail as { code?: string }).code)}>
                    {data.phone ? '更换' : '微信授权绑定'}
                  </Button>
                )}
              </View>
            </View>
            <Button className='btn btn--primary' disabled={saving} loading={saving} onClick={() => void save()}>
              保存资料
            </Button>
            {/* Only the notices that are about the card itself: an activity's reminder is asked for on that activity (开始前提醒我). */}
            {!isH5 ? (
              <Button className='btn btn--ghost' onClick={() => void askToSubscribe(['couponArrival', 'pointsExpiry'])}>
                订阅优惠券到账、积分到期提醒
              </Button>
            ) : null}
            <View className='profile__danger'>
              <Button className='btn btn--danger' disabled={deleting} loading={deleting} onClick={() => void deleteAccount()}>
                注销会员
              </Button>
              <View className='muted center mt'>注销后个人资料将被删除，积分与优惠券一并作废</View>
            </View>
          </View>
        ) : null}
      </Status>
      <PrivacyDialog />
    </View>
  );
}
