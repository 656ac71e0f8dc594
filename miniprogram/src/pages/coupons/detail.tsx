import { View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import { couponSavingFen, type Coupon, groupDigits } from '@membercard/shared';
import { shopper } from '../../api/endpoints';
import { ApiError } from '../../api/errors';
import { CouponStub } from '../../components/CouponStub';
import { QrCode } from '../../components/QrCode';
import { AddToWechatWallet } from '../../components/wallet/AddToWechatWallet';
import { Status } from '../../components/Status';
import { useAsync } from '../../hooks/useAsync';
import { useStoreNames, useTierNames } from '../../hooks/useCatalogueNames';
import { useLiveCode } from '../../hooks/useLiveCode';
import { cacheCodeKey, codeFromKey, readCachedCodeKey } from '../../lib/codeKey';
import { codeLifeText } from '../../lib/codeText';
import { recalledCoupon, rememberCoupon } from '../../lib/couponMemory';
import { couponStatusText } from '../../lib/couponText';
import { chinaDateTime, yuan } from '../../lib/format';
import { useTheme } from '../../lib/theme';

/** "What it saves", from the shared rule, at the coupon's own threshold (the order a shopper pictures). */
function savingText(coupon: Coupon): string {
  if (coupon.type === 'gift') return `到店免费领取 ${coupon.giftName ?? '赠品'}`;
  const threshold = coupon.minSpendFen ?? 0;
  if (coupon.type === 'cash') {
    const { savingFen } = couponSavingFen(coupon, Math.max(threshold, coupon.amountOffFen ?? 0));
    return threshold ? `消费满 ${yuan(threshold)} 立减 ${yuan(savingFen)}` : `立减 ${yuan(savingFen)}`;
  }
  const example = Math.max(threshold, 10_000);
  const { savingFen } = couponSavingFen(coupon, example);
  const cap = coupon.maxOffFen ? `，最多减 ${yuan(coupon.maxOffFen)}` : '';
  return `全单 ${(100 - (coupon.percentOff ?? 0)) / 10} 折${cap}；例如消费 ${yuan(example)} 可省 ${yuan(savingFen)}`;
}

async function findCoupon(id: string): Promise<Coupon> {
  // Seen before (in the wallet, or kept on the phone): shown at once, also without signal.
  const known = recalledCoupon(id);
  if (known) return known;
  // Opened directly (e.g. from a message): look for it in the wallet's available tab.
  const page = await shopper.coupons('available');
  const found = page.items.find((coupon) => coupon.id === id);
  if (!found) throw new ApiError('NOT_FOUND', 404);
  rememberCoupon(found);
  return found;
}

export default function CouponDetailPage() {
  useTheme(); // the brand's navigation bar on every shopper screen
  const { params } = useRouter();
  const id = params.id ?? '';
  const coupon = useAsync(() => findCoupon(id), [id]);
  const usable = coupon.data?.status === 'issued';
  const live = useLiveCode({
    kind: 'coupon',
    subject: usable ? coupon.data?.id : undefined,
    readKey: readCachedCodeKey,
    fetchKey: shopper.codeKey,
    storeKey: cacheCodeKey,
    generate: codeFromKey,
    fetchServerCode: () => shopper.couponCode(id),
  });

  const storeName = useStoreNames();
  const tierName = useTierNames();
  const data = coupon.data;
  return (
    <View className='page'>
      <Status loading={coupon.loading && !data} error={coupon.error} onRetry={() => void coupon.reload()}>
        {data ? (
          <View>
            <CouponStub coupon={data} dim={!usable} />
            {usable ? (
              <View className='section center'>
                <View className='section__title' style={{ justifyContent: 'center' }}>到店出示此码核销</View>
                {live.code ? (
                  <View>
                    <View className='code-box__qr'>
                      <QrCode text={live.code} sizePx={200} />
                    </View>
                    {/* For a counter whose scanner cannot read the screen: the clerk types the digits. */}
                    <View className='code-box__digits'>{live.numericCode ? groupDigits(live.numericCode) : live.code}</View>
                  </View>
                ) : (
                  <Status loading={!live.error} error={live.error} onRetry={() => void live.refresh()} />
                )}
                <View className='code-box__hint'>
                  {codeLifeText(live.stepSeconds)}
                  {live.madeOnPhone ? ' · 无网络也可出示' : ''}
                </View>
              </View>
            ) : (
              <View className='notice'>此券{couponStatusText[data.status]}</View>
            )}
            {usable ? <AddToWechatWallet couponId={data.id} /> : null}
            <View className='section'>
              <View className='section__title'>使用说明</View>
              <View className='field'>
                <View className='field__label'>优惠</View>
                <View className='field__value'>{savingText(data)}</View>
              </View>
              <View className='field'>
                <View className='field__label'>有效期</View>
                <View className='field__value'>
                  {chinaDateTime(data.validFrom)} 至 {chinaDateTime(data.validUntil)}
                </View>
              </View>
              <View className='field'>
                <View className='field__label'>适用门店</View>
                <View className='field__value'>{data.storeIds?.length ? data.storeIds.map(storeName).join('、') : '全部门店'}</View>
              </View>
              {data.tiers?.length ? (
                <View className='field'>
                  <View className='field__label'>适用等级</View>
                  <View className='field__value'>{data.tiers.map(tierName).join('、')}</View>
                </View>
              ) : null}
            </View>
            <View className='link small' onClick={() => void Taro.navigateBack()}>
              ‹ 返回卡包
            </View>
          </View>
        ) : null}
      </Status>
    </View>
  );
}
