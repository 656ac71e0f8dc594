import { GiftOutlined } from '@ant-design/icons';
import { Alert, App, Button, Form, Input, Modal, Select } from 'antd';
import { useEffect, useState } from 'react';
import { api, newIdempotencyKey, readableErrorMessage } from '../../api';
import { useCan, useSession } from '../../auth/session';
import { useLang, useT } from '../../i18n';
import type { Coupon, CouponTemplate, Member } from '../../shared';

/**
 * HQ gives this member one coupon from their page, with a reason (kept in the audit log). The coupon comes from
 * the one issuer, so the template's quantity and per-member limit hold. One Idempotency-Key per attempt: a retry
 * of the same choice after a timeout cannot give two coupons, and a changed choice after a refusal is a new attempt.
 */
export function MemberGrantCoupon({ member, onDone }: { member: Member; onDone: () => void }) {
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const session = useSession();
  const canGrant = useCan('marketing');
  const [open, setOpen] = useState(false);
  const [templates, setTemplates] = useState<CouponTemplate[]>([]);
  const [templateId, setTemplateId] = useState<string | undefined>();
  const [reason, setReason] = useState('');
  const [attempt, setAttempt] = useState(newIdempotencyKey);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [touched, setTouched] = useState(false);

  useEffect(() => {
    if (!open) return;
    api.listAll<CouponTemplate>('/admin/coupon-templates', { status: 'active' }, 200).then(setTemplates, (cause) => setError(readableErrorMessage(cause, lang)));
  }, [open, lang]);
  // What is asked changed: the next submit is a new attempt with its own key.
  useEffect(() => setAttempt(newIdempotencyKey()), [templateId, reason]);

  if (session?.kind !== 'hq' || !canGrant) return null;

  const submit = async () => {
    setTouched(true);
    setError(null);
    if (!templateId || !reason.trim()) return;
    setSaving(true);
    try {
      const answer = await api.post<{ coupon: Coupon; created: boolean }>(`/admin/members/${member.id}/coupon-grants`, { templateId, reason: reason.trim() }, { idempotencyKey: attempt });
      message.success(t(`已发放“${answer.coupon.title}”`, `Granted “${answer.coupon.title}”`));
      setOpen(false);
      setTemplateId(undefined);
      setReason('');
      setTouched(false);
      onDone();
    } catch (cause) {
      setError(readableErrorMessage(cause, lang));
    } finally {
      setSaving(false);
    }
  };

  return (
    <>
      <Button icon={<GiftOutlined />} onClick={() => setOpen(true)} style={{ marginTop: 12, marginLeft: 8 }} data-testid="grant-coupon">
        {t('发优惠券', 'Grant coupon')}
      </Button>
      <Modal title={t('给该会员发一张优惠券', 'Grant this member a coupon')} open={open} onCancel={() => setOpen(false)} onOk={submit} confirmLoading={saving} okText={t('确认发放', 'Grant')} destroyOnHidden>
        {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} /> : null}
        <Form layout="vertical">
          <Form.Item label={t('优惠券', 'Coupon')} required validateStatus={touched && !templateId ? 'error' : undefined} help={touched && !templateId ? t('请选择优惠券', 'Choose a coupon') : undefined}>
            <Select
              value={templateId}
              onChange={setTemplateId}
              showSearch
              optionFilterProp="label"
              placeholder={t('选择券模板', 'Choose a template')}
              options={templates.map((template) => ({ value: template.id, label: template.title }))}
              data-testid="grant-template"
            />
          </Form.Item>
          <Form.Item label={t('原因（记入操作日志）', 'Reason (kept in the audit log)')} required validateStatus={touched && !reason.trim() ? 'error' : undefined} help={touched && !reason.trim() ? t('请填写原因', 'Give a reason') : undefined}>
            <Input.TextArea rows={3} maxLength={200} showCount value={reason} onChange={(event) => setReason(event.target.value)} placeholder={t('例如：投诉补偿、生日关怀', 'e.g. complaint goodwill')} data-testid="grant-reason" />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
