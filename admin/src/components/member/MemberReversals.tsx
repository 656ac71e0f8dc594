import { UndoOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Input, Modal, Radio, Space, Tag, Tooltip, Typography } from 'antd';
import { useState } from 'react';
import { api } from '../../api';
import { readableErrorMessage } from '../../api/errors';
import { useCan } from '../../auth/session';
import { useLang, useT } from '../../i18n';
import { fenToYuanText, formatInt } from '../../lib/format';
import { useCursorList } from '../../lib/hooks';
import { useReference } from '../../lib/reference';
import { chinaIsoText, COMMON_REVERSAL_REASONS, REVERSAL_BLOCK_TEXT, type CounterEvent } from '../../shared';
import { CursorTable } from '../CursorTable';

// The member's purchases and coupon redemptions at every store, each with its reversal state; HQ (admin
// role) reverses one within its 24 hours with a reason, as the store's manager would at the counter.

const OTHER = '__other__';

function describe(event: CounterEvent, t: (zh: string, en: string) => string): string {
  if (event.kind === 'purchase') return t(`消费 ${fenToYuanText(event.amountFen ?? 0)}`, `Purchase ${fenToYuanText(event.amountFen ?? 0)}`);
  return t(`核销「${event.coupon?.title ?? '优惠券'}」`, `Redemption of “${event.coupon?.title ?? 'coupon'}”`);
}

export function ReversalModal({ event, onClose, onDone }: { event: CounterEvent; onClose: () => void; onDone: () => void }) {
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const [choice, setChoice] = useState<string>(COMMON_REVERSAL_REASONS[0]!.zh);
  const [typed, setTyped] = useState('');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const reason = (choice === OTHER ? typed : choice).trim();

  const submit = async () => {
    setSaving(true);
    setError(null);
    try {
      // The id is the reversal's natural key: a retry after a timeout answers the first reversal.
      await api.post(`/admin/${event.kind === 'purchase' ? 'purchases' : 'redemptions'}/${event.id}/reversal`, { reason });
      message.success(t(`已撤销${describe(event, t)}`, `Reversed: ${describe(event, t)}`));
      onDone();
    } catch (cause) {
      setError(readableErrorMessage(cause, lang));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      open
      title={t(`撤销${describe(event, t)}`, `Reverse ${describe(event, t)}`)}
      onCancel={onClose}
      onOk={submit}
      okText={t('确认撤销', 'Reverse')}
      okButtonProps={{ danger: true, disabled: !reason, 'data-testid': 'confirm-reversal' } as never}
      confirmLoading={saving}
      destroyOnHidden
    >
      <Typography.Paragraph type="secondary">
        {event.kind === 'purchase'
          ? t(`撤销后扣回本单积分 ${formatInt(event.points)}（余额不足时记录差额），消费金额不再计入会员等级。`, `Takes back the ${formatInt(event.points)} points it earned (any shortfall is recorded); its amount leaves the member's tier spend.`)
          : t('撤销后该券回到会员券包，可再次使用。', 'The coupon goes back to the member and can be used again.')}
      </Typography.Paragraph>
      {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} /> : null}
      <div style={{ marginBottom: 8 }}>{t('原因（记入积分流水和操作日志）', 'Reason (kept in the ledger and audit log)')}</div>
      <Radio.Group value={choice} onChange={(e) => setChoice(e.target.value)} style={{ display: 'flex', flexDirection: 'column', gap: 6 }}>
        {COMMON_REVERSAL_REASONS.map((common) => (
          <Radio key={common.zh} value={common.zh}>
            {lang === 'zh' ? common.zh : common.en}
          </Radio>
        ))}
        <Radio value={OTHER}>{t('其他原因', 'Other')}</Radio>
      </Radio.Group>
      {choice === OTHER ? (
        <Input.TextArea rows={2} maxLength={200} showCount autoFocus value={typed} onChange={(e) => setTyped(e.target.value)} placeholder={t('请填写原因', 'Why')} style={{ marginTop: 8 }} data-testid="reversal-reason" />
      ) : null}
    </Modal>
  );
}

/** An entry's reversal state: 已撤销 with who, when and why; or 撤销, disabled with why when this user may not. */
export function ReversalCell({ event, canReverse, onReverse }: { event: CounterEvent; canReverse: boolean; onReverse: () => void }) {
  const t = useT();
  const { lang } = useLang();
  if (event.reversal) {
    return (
      <Space direction="vertical" size={0}>
        <Tag color="red">{t('已撤销', 'Reversed')}</Tag>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {event.reversal.byName} · {chinaIsoText(event.reversal.at)} · {event.reversal.reason}
        </Typography.Text>
      </Space>
    );
  }
  if (event.kind === 'checkin') return <>—</>;
  const why = !canReverse ? t('需要总部管理员角色', 'Needs the HQ admin role') : event.reversalBlock ? REVERSAL_BLOCK_TEXT[event.reversalBlock][lang] : null;
  return (
    <Tooltip title={why}>
      <Button size="small" danger icon={<UndoOutlined />} disabled={why !== null} onClick={onReverse} data-testid={`reverse-${event.id}`}>
        {t('撤销', 'Reverse')}
      </Button>
    </Tooltip>
  );
}

export function MemberReversals({ memberId }: { memberId: string }) {
  const t = useT();
  const reference = useReference();
  const canReverse = useCan('admin');
  const [reversing, setReversing] = useState<CounterEvent | null>(null);
  const list = useCursorList<CounterEvent>((cursor, signal) => api.list<CounterEvent>(`/admin/members/${memberId}/counter-events`, { cursor, limit: 10 }, signal), [memberId]);

  return (
    <Card title={t('消费与核销（24 小时内可撤销）', 'Purchases and redemptions (reversible within 24 h)')} data-testid="member-reversals">
      <CursorTable<CounterEvent>
        list={list}
        rowKey="id"
        size="small"
        empty={t('没有消费或核销记录', 'No purchases or redemptions')}
        columns={[
          { title: t('时间', 'When'), dataIndex: 'at', render: (iso: string) => chinaIsoText(iso) },
          { title: t('类型', 'Kind'), dataIndex: 'kind', render: (kind: string) => (kind === 'purchase' ? <Tag color="blue">{t('消费', 'Purchase')}</Tag> : <Tag color="orange">{t('核销', 'Redemption')}</Tag>) },
          { title: t('内容', 'What'), render: (_: unknown, e: CounterEvent) => (e.kind === 'purchase' ? fenToYuanText(e.amountFen ?? 0) : `${e.coupon?.title ?? ''}${e.coupon?.faceValueFen ? ` · ${t('面值', 'face')} ${fenToYuanText(e.coupon.faceValueFen)}` : ''}`) },
          { title: t('积分', 'Points'), dataIndex: 'points', align: 'right', render: (value: number, e: CounterEvent) => (e.kind === 'purchase' ? `+${formatInt(value)}` : '—') },
          { title: t('门店 · 店员', 'Store · clerk'), render: (_: unknown, e: CounterEvent) => `${reference.storeName(e.storeId)} · ${e.staffName}` },
          { title: t('单号', 'Order no.'), dataIndex: 'orderNo', render: (value: string | null) => value ?? '—' },
          {
            title: t('撤销', 'Reversal'),
            render: (_: unknown, e: CounterEvent) => <ReversalCell event={e} canReverse={canReverse} onReverse={() => setReversing(e)} />,
          },
        ]}
      />
      {reversing ? (
        <ReversalModal
          event={reversing}
          onClose={() => setReversing(null)}
          onDone={() => {
            setReversing(null);
            list.reload();
          }}
        />
      ) : null}
    </Card>
  );
}
