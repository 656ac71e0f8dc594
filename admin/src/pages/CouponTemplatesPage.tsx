import { PlusOutlined } from '@ant-design/icons';
import { Button, Card, Segmented, Tag } from 'antd';
import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { api } from '../api';
import { CursorTable } from '../components/CursorTable';
import { PageTitle } from '../components/PageTitle';
import { useCan } from '../auth/session';
import { useLang, useT } from '../i18n';
import { previewCoupon } from '../lib/couponPreview';
import { formatInt } from '../lib/format';
import { useCursorList } from '../lib/hooks';
import type { CouponTemplate } from '../shared';

export const couponTypeLabel = (type: string, t: (zh: string, en: string) => string) =>
  type === 'cash' ? t('满减券', 'Cash off') : type === 'discount' ? t('折扣券', 'Discount') : t('赠品券', 'Gift');

export default function CouponTemplatesPage() {
  const t = useT();
  // Viewers read; writing needs the HQ role the server asks for (RouteSpec.hq).
  const canWrite = useCan('marketing');
  const { lang } = useLang();
  const navigate = useNavigate();
  const [status, setStatus] = useState<'active' | 'archived'>('active');
  const list = useCursorList<CouponTemplate>((cursor, signal) => api.list<CouponTemplate>('/admin/coupon-templates', { status, cursor }, signal), [status]);
  const create = (
    <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/coupons/new')} data-testid="new-template">
      {t('新建模板', 'New template')}
    </Button>
  );
  return (
    <>
      <PageTitle title={t('优惠券模板', 'Coupon templates')} sub={t('设计会员领取和兑换的优惠券', 'Design the coupons members receive and exchange')} extra={canWrite ? create : null} />
      <Card>
        <Segmented value={status} onChange={(value) => setStatus(value as 'active' | 'archived')} options={[{ label: t('使用中', 'Active'), value: 'active' }, { label: t('已归档', 'Archived'), value: 'archived' }]} style={{ marginBottom: 16 }} />
        <CursorTable<CouponTemplate>
          list={list}
          rowKey="id"
          testId="templates-table"
          empty={t('还没有优惠券模板', 'No coupon templates yet')}
          emptyAction={canWrite ? create : undefined}
          onRow={(template) => ({ onClick: () => navigate(`/coupons/${template.id}`), className: 'mc-clickable-row' })}
          columns={[
            { title: t('名称', 'Title'), dataIndex: 'title' },
            { title: t('类型', 'Type'), dataIndex: 'type', render: (value: string) => <Tag color={value === 'cash' ? 'red' : value === 'discount' ? 'orange' : 'purple'}>{couponTypeLabel(value, t)}</Tag> },
            {
              title: t('面额', 'Value'),
              render: (_: unknown, template) => {
                const preview = previewCoupon(template, lang);
                return `${preview.headline}${preview.headlineUnit ? ` ${preview.headlineUnit}` : ''} · ${preview.condition}`;
              },
            },
            { title: t('有效期', 'Validity'), render: (_: unknown, template) => previewCoupon(template, lang).validity },
            { title: t('已发放 / 总量', 'Issued / total'), align: 'right', render: (_: unknown, template) => `${formatInt(template.issuedCount)} / ${formatInt(template.totalQuantity)}` },
            { title: t('积分兑换', 'Points cost'), dataIndex: 'pointsCost', align: 'right', render: (value?: number) => (value ? formatInt(value) : '—') },
          ]}
        />
      </Card>
    </>
  );
}
