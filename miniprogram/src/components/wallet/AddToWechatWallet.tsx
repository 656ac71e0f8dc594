import { Button, View } from '@tarojs/components';
import { useCallback, useEffect, useState } from 'react';
import { z } from 'zod';
import { ApiError } from '../../api/errors';
import { emulatorBase, shopperApi, taroTransport } from '../../api/session';
import { isH5 } from '../../config';

// 添加到微信卡包: a coupon whose template HQ put into WeChat wallets (商家券) goes there through WeChat Pay's
// send-coupon plugin, with parameters the server signs (docs/wechat-busifavor.md §4). In WeChat the plugin's own
// component wraps the button (declared in the page's usingComponents); in the H5 demo the emulated plugin stands
// in. WeChat's refusal (stock used up, per-user limit) is shown; the coupon stays usable here either way.

const WalletAnswerSchema = z.object({
  couponId: z.string(),
  state: z.enum(['offered', 'in_wallet', 'refused', 'used', 'deactivated', 'expired']),
  refusalReason: z.string().nullable(),
  openid: z.string(),
  plugin: z
    .object({
      send_coupon_params: z.array(z.object({ stock_id: z.string(), out_request_no: z.string(), coupon_code: z.string().optional() })),
      send_coupon_merchant: z.string(),
      sign: z.string(),
    })
    .nullable(),
});
type WalletAnswer = z.infer<typeof WalletAnswerSchema>;
type SendResult = { code: string; message?: string; coupon_code?: string };

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace JSX {
    interface IntrinsicElements {
      /** WeChat Pay's send-coupon plugin component (weapp only). */
      'send-coupon': Record<string, unknown>;
    }
  }
}

/** The emulated plugin (H5 demo): the same parameters the real one gets, and its send_coupon_result. */
async function sendInEmulator(answer: WalletAnswer): Promise<SendResult> {
  const reply = await taroTransport({
    method: 'POST',
    url: `${emulatorBase}/__emulator/busifavor/plugin/send`,
    headers: { 'Content-Type': 'application/json' },
    body: { openid: answer.openid, ...answer.plugin },
  });
  const result = (reply.body as { send_coupon_result?: SendResult[] } | null)?.send_coupon_result?.[0];
  if (reply.status !== 200 || !result) throw new ApiError('UNKNOWN', reply.status);
  return result;
}

export function AddToWechatWallet({ couponId }: { couponId: string }) {
  const [answer, setAnswer] = useState<WalletAnswer | null>(null);
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const path = `/me/coupons/${encodeURIComponent(couponId)}/wechat-wallet`;

  useEffect(() => {
    let live = true;
    shopperApi
      .get(path, { answer: WalletAnswerSchema })
      .then((loaded) => live && setAnswer(loaded))
      // Not offered for this coupon (409), or offline: no button.
      .catch(() => live && setAnswer(null));
    return () => {
      live = false;
    };
  }, [path]);

  const report = useCallback(
    async (result: SendResult) => {
      if (result.code === 'SUCCESS') {
        setSent(true);
        return;
      }
      setAnswer(await shopperApi.post(`${path}/result`, { body: { code: result.code, ...(result.message ? { message: result.message } : {}) }, answer: WalletAnswerSchema }));
    },
    [path],
  );

  if (!answer) return null;
  if (sent || answer.state === 'in_wallet') {
    return (
      <View className='section center' data-testid='wallet-added'>
        <View style={{ color: '#07c160', fontWeight: 600 }}>✓ 已放入微信卡包</View>
        <View className='muted mt'>可在微信「卡包」中查看，到店出示或微信支付时使用，只能用一次</View>
      </View>
    );
  }
  if (!answer.plugin) return null;

  const onTap = async () => {
    if (!isH5 || busy) return;
    setBusy(true);
    setProblem(null);
    try {
      await report(await sendInEmulator(answer));
    } catch {
      setProblem('暂时无法放入微信卡包，请稍后再试');
    } finally {
      setBusy(false);
    }
  };
  const button = (
    <Button className='btn btn--ghost' loading={busy} onClick={() => void onTap()} data-testid='wallet-add'>
      添加到微信卡包
    </Button>
  );
  return (
    <View className='section'>
      {answer.refusalReason ? <View className='muted' data-testid='wallet-refused'>{answer.refusalReason}</View> : null}
      {problem ? <View className='muted'>{problem}</View> : null}
      {answer.state === 'refused' ? null : isH5 ? (
        button
      ) : (
        <send-coupon
          send_coupon_params={answer.plugin.send_coupon_params}
          sign={answer.plugin.sign}
          send_coupon_merchant={answer.plugin.send_coupon_merchant}
          onSendcoupon={(event: { detail?: { send_coupon_result?: SendResult[] } }) => {
            const result = event.detail?.send_coupon_result?.[0];
            if (result) void report(result).catch(() => setProblem('暂时无法放入微信卡包，请稍后再试'));
          }}
        >
          {button}
        </send-coupon>
      )}
    </View>
  );
}
