import { Typography } from 'antd';
import { useLang, useT } from '../i18n';
import { previewCoupon, type PreviewTerms } from '../lib/couponPreview';
import { fenToYuanText } from '../lib/format';

/** The coupon drawn as the member sees it in the mini-program wallet, with a worked example order. */
export function CouponPreviewCard({ terms }: { terms: PreviewTerms }) {
  const { lang } = useLang();
  const t = useT();
  const preview = previewCoupon(terms, lang);
  return (
    <div data-testid="coupon-preview">
      <div className="mc-phone">
        <div style={{ textAlign: 'center', fontWeight: 600, marginBottom: 16 }}>{t('我的优惠券', 'My coupons')}</div>
        <div className="mc-coupon">
          <div className="mc-coupon-value">
            <div className="mc-coupon-headline">{preview.headline}</div>
            <div className="mc-coupon-unit">{preview.headlineUnit}</div>
          </div>
          <div className="mc-coupon-body">
            <div className="mc-coupon-title">{terms.title || t('优惠券名称', 'Coupon title')}</div>
            <div className="mc-coupon-meta">{preview.condition}</div>
            <div className="mc-coupon-meta">{preview.validity}</div>
            <div style={{ marginTop: 'auto', alignSelf: 'flex-end', background: '#e8453c', color: '#fff', borderRadius: 12, padding: '2px 12px', fontSize: 12 }}>{t('去使用', 'Use')}</div>
          </div>
        </div>
      </div>
      {preview.example ? (
        <Typography.Paragraph type="secondary" style={{ marginTop: 16, textAlign: 'center' }} data-testid="coupon-example">
          {t(
            `示例：订单 ${fenToYuanText(preview.example.orderFen)}，优惠 ${fenToYuanText(preview.example.savingFen)}，实付 ${fenToYuanText(preview.example.payFen)}`,
            `Example: a ${fenToYuanText(preview.example.orderFen)} order saves ${fenToYuanText(preview.example.savingFen)}, pays ${fenToYuanText(preview.example.payFen)}`,
          )}
        </Typography.Paragraph>
      ) : null}
    </div>
  );
}
