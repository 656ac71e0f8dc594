import { Button, Checkbox, CheckboxGroup, View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import { useEffect, useState } from 'react';
import { z } from 'zod';
import { catalogue, shopper } from '../../api/endpoints';
import { ApiError, readableError } from '../../api/errors';
import { SHOPPER_HOME_PAGE, shopperApi } from '../../api/session';
import { Status } from '../../components/Status';
import { fallbackPrivacyPolicyVersion } from '../../config';
import { signInSilently } from '../../lib/shopperSession';
import './activate.css';
import { useTheme } from '../../lib/theme';

// Where WeChat sends the shopper after they fill the member card's form (跳转型一键激活, the card's
// activate_app_brand_pass; docs/wechat-member-card.md §2): the query carries card_id, activate_ticket and
// encrypt_code (or code). The server links that card to the shopper's membership once; a shopper who is not
// a member yet accepts the charter here and joins with the card.

const CardLinkSchema = z.object({
  status: z.enum(['activating', 'active', 'removed']),
  cardId: z.string(),
  code: z.string(),
  membershipNumber: z.string().nullable(),
});
type CardLink = z.infer<typeof CardLinkSchema>;

/** The activation the query describes, or null when WeChat's parameters are missing. */
function fromQuery(params: Record<string, string | undefined>) {
  const decode = (value?: string) => (value ? decodeURIComponent(value) : undefined);
  const cardId = decode(params.card_id);
  const activateTicket = decode(params.activate_ticket);
  const encryptCode = decode(params.encrypt_code);
  const code = decode(params.code);
  if (!cardId || !activateTicket || (!encryptCode && !code)) return null;
  return { cardId, activateTicket, ...(code ? { code } : { encryptCode: encryptCode! }), ...(params.outer_str ? { channel: decode(params.outer_str) } : {}) };
}

export default function MemberCardActivatePage() {
  useTheme(); // the brand's navigation bar on every shopper screen
  const router = useRouter();
  const [request] = useState(() => fromQuery(router.params));
  const [phase, setPhase] = useState<'checking' | 'consent' | 'working' | 'done' | 'failed'>('checking');
  const [link, setLink] = useState<CardLink | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [accepted, setAccepted] = useState(false);

  async function activate(join: boolean) {
    if (!request) return;
    setPhase('working');
    setError(null);
    try {
      const privacyPolicyVersion = join ? ((await catalogue.appConfig().catch(() => null))?.privacyPolicyVersion ?? fallbackPrivacyPolicyVersion) : undefined;
      const body = { ...request, ...(join ? { acceptTerms: true, privacyPolicyVersion } : {}) };
      setLink(await shopperApi.post('/me/wechat-member-card/activate', { body, answer: CardLinkSchema }));
      setPhase('done');
    } catch (failure) {
      setError(readableError(failure));
      setPhase('failed');
    }
  }

  useEffect(() => {
    if (!request) return;
    void (async () => {
      if (!(await signInSilently())) {
        setError('请在微信中打开会员卡完成激活');
        setPhase('failed');
        return;
      }
      // A member activates at once; anyone else first accepts the charter (they join with the card).
      const member = await shopper.me().catch((failure: unknown) => (failure instanceof ApiError && failure.code === 'NOT_A_MEMBER' ? null : Promise.reject(failure)));
      if (member) await activate(false);
      else setPhase('consent');
    })().catch((failure: unknown) => {
      setError(readableError(failure));
      setPhase('failed');
    });
    // Runs once, for the query WeChat opened the page with.
  }, []);

  if (!request) {
    return (
      <View className='page'>
        <Status error='链接缺少会员卡信息，请从微信卡包重新打开会员卡' />
      </View>
    );
  }

  return (
    <View className='page card-activate'>
      <View className='card-activate__banner'>
        <View className='card-activate__title'>微信会员卡</View>
        <View className='card-activate__sub'>积分、等级随时在微信卡包查看</View>
      </View>
      <Status loading={phase === 'checking' || phase === 'working'} error={phase === 'failed' ? error : null} onRetry={() => void activate(false)}>
        {phase === 'consent' ? (
          <View className='section'>
            <View className='section__title'>开通会员</View>
            <View className='join__para'>激活会员卡即开通本品牌会员，积分与优惠券与小程序同步。</View>
            <View className='card-activate__link' onClick={() => void Taro.navigateTo({ url: '/pages/join/index' })}>
              查看《会员章程》和《隐私政策》 ›
            </View>
            <CheckboxGroup onChange={(e) => setAccepted(e.detail.value.includes('accept'))}>
              <View className='card-activate__consent'>
                <Checkbox value='accept' checked={accepted} color='#07c160' />
                <View className='card-activate__consent-text' onClick={() => setAccepted(!accepted)}>
                  我已阅读并同意《会员章程》和《隐私政策》
                </View>
              </View>
            </CheckboxGroup>
            <Button className='btn btn--primary mt' disabled={!accepted} onClick={() => void activate(true)}>
              {accepted ? '开通会员并激活会员卡' : '请先勾选同意'}
            </Button>
          </View>
        ) : null}
        {phase === 'done' && link ? (
          <View className='section'>
            <View className='section__title'>{link.status === 'active' ? '会员卡已激活' : '会员卡激活中，稍后在卡包中可见'}</View>
            <View className='card-activate__row'>
              <View className='card-activate__label'>会员卡号</View>
              <View>{link.membershipNumber ?? '—'}</View>
            </View>
            <Button className='btn btn--primary mt' onClick={() => void Taro.switchTab({ url: SHOPPER_HOME_PAGE })}>
              查看会员码
            </Button>
          </View>
        ) : null}
      </Status>
    </View>
  );
}
