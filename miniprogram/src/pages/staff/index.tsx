import { Button, Input, View } from '@tarojs/components';
import Taro, { useDidShow } from '@tarojs/taro';
import { groupDigits, normalizeTypedCode, type Coupon, type CounterCheckoutAnswer, type CounterPanel, type Redemption, type Signup, type StaffScanAnswer } from '@membercard/shared';
import { useState } from 'react';
import { counter, signOutStaff } from '../../api/endpoints';
import { readableError } from '../../api/errors';
import { staffApi, STAFF_SIGN_IN_PAGE } from '../../api/session';
import { PrivacyDialog } from '../../components/PrivacyDialog';
import { counterCheckout } from '../../components/counter/api';
import { CameraScanner } from '../../components/counter/CameraScanner';
import { CheckoutForm } from '../../components/counter/CheckoutForm';
import { CheckoutResult } from '../../components/counter/CheckoutResult';
import { MemberSummary } from '../../components/counter/MemberSummary';
import { StoredValuePay } from '../../components/counter/StoredValuePay';
import { TopMemberBadge } from '../../components/counter/TopMemberBadge';
import { scannedKind } from '../../components/counter/text';
import { isH5 } from '../../config';
import { useStoreNames } from '../../hooks/useCatalogueNames';
import { couponCondition, couponFace, couponStatusText } from '../../lib/couponText';
import { chinaDateTime, newOrderNo, parseYuanToFen } from '../../lib/format';
import { currentStaff, forgetStaff } from '../../lib/staffSession';
import { signupStatusText } from '../../lib/activityText';

const kindText: Record<StaffScanAnswer['type'], string> = { member: '会员码', coupon: '优惠券', signup: '活动签到码' };

/**
 * Why a scanned coupon cannot be redeemed here, or null when it can: shown in large type instead of the
 * confirm button, so a used, expired or other-store coupon cannot be mistaken for one to redeem.
 */
function couponBlock(coupon: Coupon, storeId: string | undefined, now = new Date()): { title: string; detail: string } | null {
  if (coupon.status === 'redeemed') return { title: '已使用，不能核销', detail: coupon.redeemedAt ? `该券已于 ${chinaDateTime(coupon.redeemedAt)} 核销` : '该券已核销过' };
  if (coupon.status === 'revoked') return { title: '已作废，不能核销', detail: '该券已被总部作废' };
  if (coupon.status === 'expired' || Date.parse(coupon.validUntil) <= now.getTime()) return { title: '已过期，不能核销', detail: `有效期至 ${chinaDateTime(coupon.validUntil)}` };
  if (Date.parse(coupon.validFrom) > now.getTime()) return { title: '未到使用时间', detail: `${chinaDateTime(coupon.validFrom)} 起可用` };
  if (coupon.storeIds?.length && storeId && !coupon.storeIds.includes(storeId)) return { title: '本店不可用', detail: '该券仅限指定门店使用' };
  return null;
}

/** Why a scanned sign-up cannot be checked in, or null. */
function signupBlock(signup: Signup): { title: string; detail: string } | null {
  if (signup.status === 'attended') return { title: '已签到，无需重复签到', detail: signup.attendedAt ? `签到时间 ${chinaDateTime(signup.attendedAt)}` : '' };
  if (signup.status !== 'confirmed') return { title: '不能签到', detail: `报名状态：${signupStatusText[signup.status]}` };
  return null;
}

function Blocked({ reason }: { reason: { title: string; detail: string } }) {
  return (
    <View className='mt' style={{ padding: '16px', borderRadius: '8px', background: '#fdecea', border: '2px solid #d93026' }}>
      <View style={{ fontSize: '26px', fontWeight: 'bold', color: '#b3261e', lineHeight: '1.3' }}>{reason.title}</View>
      {reason.detail ? <View style={{ fontSize: '16px', color: '#5f2120', marginTop: '6px' }}>{reason.detail}</View> : null}
    </View>
  );
}

type Outcome = { kind: 'redemption'; answer: Redemption } | { kind: 'checkin'; answer: Signup };

/**
 * The counter. A member's code (scanned, or its 18 digits typed) opens the member panel with the coupons this
 * store may take; amount, receipt number and ticked coupons, then one 确认 books it all. Coupon and sign-up
 * codes scanned on their own keep their redemption and check-in screens.
 */
export default function StaffCounterPage() {
  const staff = currentStaff();
  const storeName = useStoreNames();
  const [code, setCode] = useState('');
  const [camera, setCamera] = useState(false);
  const [panel, setPanel] = useState<CounterPanel | null>(null);
  const [result, setResult] = useState<CounterCheckoutAnswer | null>(null);
  const [scan, setScan] = useState<StaffScanAnswer | null>(null);
  const [scannedCode, setScannedCode] = useState('');
  const [amount, setAmount] = useState('');
  // A coupon redeemed on its own gets a reference of its own, so a retried tap is not redeemed twice.
  const [redemptionNo, setRedemptionNo] = useState(() => newOrderNo(staff?.storeId ?? 'POS'));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  useDidShow(() => {
    if (!staffApi.isSignedIn() || !staff) void Taro.redirectTo({ url: STAFF_SIGN_IN_PAGE });
  });

  function startOver() {
    setPanel(null);
    setScan(null);
    setScannedCode('');
    setCode('');
    setAmount('');
    setError(null);
    setRedemptionNo(newOrderNo(staff?.storeId ?? 'POS'));
  }

  async function run<T>(action: () => Promise<T>): Promise<T | null> {
    setBusy(true);
    setError(null);
    try {
      return await action();
    } catch (failure) {
      setError(readableError(failure));
      return null;
    } finally {
      setBusy(false);
    }
  }

  /** Typed digits show in groups of four, as the member's screen shows them; a scanned payload stays as it is. */
  function typeCode(value: string) {
    const digits = normalizeTypedCode(value);
    setCode(/^\d+$/.test(digits) ? groupDigits(digits) : value);
  }

  async function recognise(text: string) {
    const trimmed = text.trim();
    if (!trimmed) return;
    setOutcome(null);
    setResult(null);
    const kind = scannedKind(trimmed);
    if (kind === 'coupon' || kind === 'signup') {
      const answer = await run(() => counter.scan(trimmed));
      if (answer) {
        setPanel(null);
        setScan(answer);
        setScannedCode(trimmed);
      }
      return;
    }
    const opened = await run(() => counterCheckout.panel(trimmed));
    if (opened) {
      setScan(null);
      setPanel(opened);
      setCode('');
    }
  }

  async function scanWithCamera() {
    if (isH5) {
      setError(null);
      setCamera(true);
      return;
    }
    try {
      const scanned = await Taro.scanCode({ onlyFromCamera: true, scanType: ['qrCode', 'barCode'] });
      await recognise(scanned.result);
    } catch {
      // Closing the scanner is not an error.
    }
  }

  function cameraRead(text: string) {
    setCamera(false);
    void recognise(text);
  }

  async function redeem() {
    if (!scan?.coupon) return;
    const amountFen = amount ? parseYuanToFen(amount) : undefined;
    if (amountFen === null) {
      setError('请输入正确的订单金额');
      return;
    }
    const { confirm } = await Taro.showModal({
      title: '确认核销',
      content: `核销「${scan.coupon.title}」（${couponFace(scan.coupon)}，${couponCondition(scan.coupon)}）？核销后不可撤回，如需撤销请联系店长。`,
      confirmColor: '#07c160',
    });
    if (!confirm) return;
    const answer = await run(() => counter.redeem(scannedCode, redemptionNo, amountFen));
    if (answer) {
      setOutcome({ kind: 'redemption', answer });
      startOver();
    }
  }

  async function checkIn() {
    const answer = await run(() => counter.checkIn(scannedCode));
    if (answer) {
      setOutcome({ kind: 'checkin', answer });
      startOver();
    }
  }

  async function signOut() {
    // The session ends on the server too, so the refresh token left on this phone is worth nothing.
    await signOutStaff();
    forgetStaff();
    void Taro.redirectTo({ url: STAFF_SIGN_IN_PAGE });
  }

  const member = scan?.member;
  return (
    <View className='page'>
      <View className='row' style={{ marginBottom: '12px' }}>
        <View className='muted'>
          {staff ? `${staff.name} · ${staff.role === 'manager' ? '店长' : '店员'} · ${storeName(staff.storeId)}` : ''}
        </View>
        <View className='link small' onClick={() => void Taro.navigateTo({ url: '/pages/staff/today' })}>
          今日流水
        </View>
        <View className='link small' onClick={() => void signOut()}>
          退出
        </View>
      </View>
      {result ? (
        <CheckoutResult
          answer={result}
          onNext={() => {
            setResult(null);
            startOver();
          }}
        />
      ) : null}
      {!panel ? (
        <View className='section'>
          <View className='section__title'>扫描顾客出示的码</View>
          {camera ? (
            <CameraScanner onCode={cameraRead} onClose={() => setCamera(false)} />
          ) : (
            <Button className='btn btn--primary' disabled={busy} onClick={() => void scanWithCamera()}>
              扫一扫
            </Button>
          )}
          <View className='row row--gap mt'>
            <Input
              className='input input--boxed'
              placeholder={isH5 ? '输入或粘贴会员码/券码/签到码（18位数字可带空格）' : '扫不出时可输入18位数字码'}
              value={code}
              onInput={(e) => typeCode(e.detail.value)}
              onConfirm={() => void recognise(code)}
            />
            <Button className='btn btn--ghost btn--small' disabled={busy || !code.trim()} onClick={() => void recognise(code)}>
              识别
            </Button>
          </View>
        </View>
      ) : null}
      {error ? <View className='notice notice--error'>{error}</View> : null}
      {outcome ? (
        <View className='notice notice--ok'>{outcome.kind === 'redemption' ? `核销成功（${chinaDateTime(outcome.answer.createdAt)}）` : '签到成功，到场积分将自动发放'}</View>
      ) : null}

      {panel ? (
        <View>
          <MemberSummary member={panel.member} storeName={storeName} />
          <StoredValuePay panel={panel} storeId={staff?.storeId ?? 'POS'} />
          <TopMemberBadge flags={panel.topMember} />
          <CheckoutForm
            panel={panel}
            onDone={(answer) => {
              setResult(answer);
              setPanel(null);
            }}
          />
          <Button className='btn btn--ghost mt' onClick={startOver}>
            取消，扫下一位
          </Button>
        </View>
      ) : null}

      {scan && member ? (
        <View>
          <View className='section'>
            <View className='section__title'>
              {kindText[scan.type]}
              <View className='section__more'>{member.tier.name}</View>
            </View>
            <View className='field'>
              <View className='field__label'>会员</View>
              <View className='field__value'>
                {member.maskedName ?? '未填写姓名'} · {member.maskedPhone ?? '未绑定手机'}
              </View>
            </View>
            <View className='field'>
              <View className='field__label'>卡号</View>
              <View className='field__value'>{member.cardNo}</View>
            </View>
            <View className='field'>
              <View className='field__label'>积分</View>
              <View className='field__value'>{member.pointsBalance}</View>
            </View>
          </View>

          {scan.type === 'coupon' && scan.coupon ? (
            <View className='section'>
              <View className='section__title'>
                {scan.coupon.title}
                <View className='section__more'>{couponStatusText[scan.coupon.status]}</View>
              </View>
              <View className='field'>
                <View className='field__label'>优惠</View>
                <View className='field__value'>
                  {couponFace(scan.coupon)} · {couponCondition(scan.coupon)}
                </View>
              </View>
              <View className='field'>
                <View className='field__label'>有效期</View>
                <View className='field__value'>
                  {chinaDateTime(scan.coupon.validFrom)} 至 {chinaDateTime(scan.coupon.validUntil)}
                </View>
              </View>
              <View className='field'>
                <View className='field__label'>适用门店</View>
                <View className='field__value'>{scan.coupon.storeIds?.length ? scan.coupon.storeIds.map(storeName).join('、') : '全部门店'}</View>
              </View>
              {couponBlock(scan.coupon, staff?.storeId) ? (
                <Blocked reason={couponBlock(scan.coupon, staff?.storeId)!} />
              ) : (
                <>
                  <View className='muted mt'>随消费一起用券：请扫会员码，在会员页勾选此券。</View>
                  <Input className='input input--boxed mt' type='digit' placeholder={scan.coupon.minSpendFen ? '订单金额（元，必填）' : '订单金额（元，可选）'} value={amount} onInput={(e) => setAmount(e.detail.value)} />
                  <Button className='btn btn--primary mt' disabled={busy || (Boolean(scan.coupon.minSpendFen) && !amount)} loading={busy} onClick={() => void redeem()}>
                    确认核销
                  </Button>
                </>
              )}
            </View>
          ) : null}

          {scan.type === 'signup' && scan.signup ? (
            <View className='section'>
              <View className='section__title'>
                活动签到
                <View className='section__more'>{signupStatusText[scan.signup.status]}</View>
              </View>
              {scan.signup.activityTitle ? (
                <View className='field'>
                  <View className='field__label'>活动</View>
                  <View className='field__value'>{scan.signup.activityTitle}</View>
                </View>
              ) : null}
              {scan.signup.activityStartAt ? (
                <View className='field'>
                  <View className='field__label'>开始时间</View>
                  <View className='field__value'>{chinaDateTime(scan.signup.activityStartAt)}</View>
                </View>
              ) : null}
              {signupBlock(scan.signup) ? (
                <Blocked reason={signupBlock(scan.signup)!} />
              ) : (
                <Button className='btn btn--primary mt' disabled={busy} loading={busy} onClick={() => void checkIn()}>
                  确认签到
                </Button>
              )}
            </View>
          ) : null}
          <Button className='btn btn--ghost mt' onClick={startOver}>
            取消，扫下一位
          </Button>
        </View>
      ) : null}
      <PrivacyDialog />
    </View>
  );
}
