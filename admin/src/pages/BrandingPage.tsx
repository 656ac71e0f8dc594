import { Alert, App, Button, Card, Col, Input, Row, Space, Tag, Typography } from 'antd';
import { useEffect, useState, type ChangeEvent } from 'react';
import { api, readableErrorMessage } from '../api';
import { checkWith } from '../components/formErrors';
import { PageTitle } from '../components/PageTitle';
import { AsyncView } from '../components/states';
import { useCan } from '../auth/session';
import { useLang, useT } from '../i18n';
import { useAsync } from '../lib/hooks';
import { useReference } from '../lib/reference';
import {
  BRAND_IMAGE_MAX_BYTES,
  BrandSettingsPatchSchema,
  HEX_COLOUR,
  cardFaceLook,
  checkBrandColours,
  type BrandSettings,
  type BrandTheme,
} from '../shared';

// 品牌设置: HQ names the programme, picks its colours (white text on them is contrast-checked here and on the
// server), uploads the logo and each tier's card art, and sees the card face as members will, drawn from the
// same theme rules (cardFaceLook) the mini-program uses.

/** The console is served by the API server, so the image paths it names resolve as they are. */
const imageSrc = (path: string | null | undefined) => path ?? undefined;

/** The member's card face as the mini-program draws it, at phone size. */
export function CardFacePreview({ theme, tier }: { theme: BrandTheme; tier: { code: string; name: string } }) {
  const look = cardFaceLook(theme, tier.code);
  return (
    <div
      data-testid={`brand-preview-${tier.code}`}
      style={{ position: 'relative', overflow: 'hidden', width: 343, height: 200, borderRadius: 12, background: look.background, color: look.textColor, boxShadow: '0 6px 16px rgba(0,0,0,0.12)', fontFamily: 'inherit' }}
    >
      {look.artUrl ? <img src={imageSrc(look.artUrl)} alt="" style={{ position: 'absolute', inset: 0, width: '100%', height: '100%', objectFit: 'cover' }} /> : null}
      {look.artUrl ? <div style={{ position: 'absolute', inset: 0, background: look.scrim }} /> : null}
      <div style={{ position: 'relative', padding: 18, height: '100%', boxSizing: 'border-box', display: 'flex', flexDirection: 'column' }}>
        <div style={{ display: 'flex', alignItems: 'center', gap: 7 }}>
          {theme.logoUrl ? <img src={imageSrc(theme.logoUrl)} alt="" style={{ width: 24, height: 24, borderRadius: 5, background: 'rgba(255,255,255,0.9)', objectFit: 'contain' }} /> : null}
          <span style={{ fontSize: 13, opacity: 0.85, letterSpacing: 1 }}>{theme.name}</span>
        </div>
        <div style={{ fontSize: 20, fontWeight: 700, marginTop: 4 }}>{tier.name}</div>
        <div style={{ position: 'absolute', right: 18, top: 18, textAlign: 'right' }}>
          <div style={{ fontSize: 24, fontWeight: 700 }}>1,280</div>
          <div style={{ fontSize: 11, opacity: 0.85 }}>可用积分</div>
        </div>
        <div style={{ marginTop: 'auto' }}>
          <div style={{ fontSize: 14, opacity: 0.92 }}>王小明</div>
          <div style={{ fontFamily: 'Menlo, Consolas, monospace', fontSize: 17, letterSpacing: 2 }}>1000 0000 0008</div>
        </div>
      </div>
    </div>
  );
}

function readAsBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

function ColourField({ label, value, onChange, testId }: { label: string; value: string; onChange: (next: string) => void; testId: string }) {
  return (
    <Space>
      <span style={{ width: 64, display: 'inline-block' }}>{label}</span>
      <input type="color" value={HEX_COLOUR.test(value) ? value : '#000000'} onChange={(e) => onChange(e.target.value)} style={{ width: 40, height: 32, border: 'none', background: 'none' }} aria-label={label} />
      <Input value={value} onChange={(e) => onChange(e.target.value.trim())} style={{ width: 110 }} data-testid={testId} maxLength={7} />
    </Space>
  );
}

function BrandingEditor({ saved, onSaved }: { saved: BrandSettings; onSaved: (next: BrandSettings) => void }) {
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const canWrite = useCan('marketing');
  const { tiers } = useReference();
  const [draft, setDraft] = useState({ name: saved.name, primaryColor: saved.primaryColor, accentColor: saved.accentColor });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setDraft({ name: saved.name, primaryColor: saved.primaryColor, accentColor: saved.accentColor }), [saved]);

  const coloursValid = HEX_COLOUR.test(draft.primaryColor) && HEX_COLOUR.test(draft.accentColor);
  const check = coloursValid ? checkBrandColours(draft.primaryColor, draft.accentColor) : null;
  const preview: BrandTheme = { ...saved, ...(coloursValid ? draft : { name: draft.name }), name: draft.name || saved.name };

  const run = async (work: () => Promise<BrandSettings>, done: string) => {
    setBusy(true);
    setError(null);
    try {
      onSaved(await work());
      message.success(done);
    } catch (cause) {
      setError(readableErrorMessage(cause, lang));
    } finally {
      setBusy(false);
    }
  };

  const save = () => {
    const checked = checkWith(BrandSettingsPatchSchema, draft, lang);
    if (!checked.ok) return setError(Object.values(checked.errors).join('；'));
    void run(() => api.patch<BrandSettings>('/admin/branding', checked.data), t('品牌设置已保存', 'Brand saved'));
  };

  const upload = (path: string) => async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    if (file.size > BRAND_IMAGE_MAX_BYTES) return setError(t(`图片不能超过 ${BRAND_IMAGE_MAX_BYTES / 1024} KB`, `Images are limited to ${BRAND_IMAGE_MAX_BYTES / 1024} KB`));
    const data = await readAsBase64(file);
    void run(() => api.put<BrandSettings>(path, { data }), t('图片已上传', 'Image uploaded'));
  };

  const ratio = (value: number, good: number) => <Tag color={value >= good ? 'green' : value >= 3 ? 'orange' : 'red'}>{value}:1</Tag>;
  return (
    <Row gutter={24}>
      <Col xs={24} lg={12}>
        <Card title={t('名称与颜色', 'Name and colours')} style={{ marginBottom: 16 }}>
          <Space direction="vertical" size="middle" style={{ width: '100%' }}>
            <Space>
              <span style={{ width: 64, display: 'inline-block' }}>{t('会员计划名称', 'Name')}</span>
              <Input value={draft.name} maxLength={16} showCount onChange={(e) => setDraft({ ...draft, name: e.target.value })} style={{ width: 220 }} data-testid="brand-name" />
            </Space>
            <ColourField label={t('主色', 'Primary')} value={draft.primaryColor} onChange={(primaryColor) => setDraft({ ...draft, primaryColor })} testId="brand-primary" />
            <ColourField label={t('强调色', 'Accent')} value={draft.accentColor} onChange={(accentColor) => setDraft({ ...draft, accentColor })} testId="brand-accent" />
            {check ? (
              <Typography.Text type="secondary" data-testid="brand-contrast">
                {t('白字对比度：主色', 'White text contrast: primary')} {ratio(check.contrast.primary, 4.5)} {t('强调色', 'accent')} {ratio(check.contrast.accent, 4.5)}
              </Typography.Text>
            ) : (
              <Alert type="warning" showIcon message={t('颜色请写成 #rrggbb', 'Write colours as #rrggbb')} />
            )}
            {check?.problems.length ? (
              <Alert
                type="error"
                showIcon
                data-testid="brand-contrast-problem"
                message={t('这个颜色上的白字看不清，无法保存：卡面和导航栏的主色至少 4.5:1，强调色至少 3:1', 'White text would be unreadable: the primary colour needs 4.5:1, the accent 3:1')}
              />
            ) : null}
            {check?.warnings.map((warning) => <Alert key={warning} type="warning" showIcon message={warning} />)}
            {error ? <Alert type="error" showIcon message={error} data-testid="brand-error" /> : null}
            <Button type="primary" onClick={save} loading={busy} disabled={!canWrite || !check || check.problems.length > 0} data-testid="brand-save">
              {t('保存', 'Save')}
            </Button>
          </Space>
        </Card>
        <Card title={t('标志与卡面', 'Logo and card art')} extra={<Typography.Text type="secondary">{t('PNG、JPEG 或 WebP，不超过 256 KB、边长 2048 像素', 'PNG, JPEG or WebP, at most 256 KB and 2048 px')}</Typography.Text>}>
          <Space direction="vertical" style={{ width: '100%' }}>
            <Space>
              <span style={{ width: 64, display: 'inline-block' }}>{t('标志', 'Logo')}</span>
              {saved.logoUrl ? <img src={saved.logoUrl} alt="" style={{ width: 32, height: 32, objectFit: 'contain' }} /> : <Typography.Text type="secondary">{t('未上传', 'None')}</Typography.Text>}
              <input type="file" accept="image/png,image/jpeg,image/webp" onChange={upload('/admin/branding/logo')} disabled={!canWrite || busy} data-testid="brand-logo-file" />
              {saved.logoUrl ? <Button size="small" onClick={() => void run(() => api.delete<BrandSettings>('/admin/branding/logo'), t('标志已移除', 'Logo removed'))} disabled={!canWrite}>{t('移除', 'Remove')}</Button> : null}
            </Space>
            {tiers.map((tier) => (
              <Space key={tier.code}>
                <span style={{ width: 64, display: 'inline-block' }}>{tier.name}</span>
                {saved.tierArt[tier.code] ? <Tag color="green">{t('已上传卡面', 'Card art set')}</Tag> : <Tag>{t('使用主色', 'Primary colour')}</Tag>}
                <input type="file" accept="image/png,image/jpeg,image/webp" onChange={upload(`/admin/branding/tier-art/${tier.code}`)} disabled={!canWrite || busy} data-testid={`brand-art-file-${tier.code}`} />
                {saved.tierArt[tier.code] ? (
                  <Button size="small" onClick={() => void run(() => api.delete<BrandSettings>(`/admin/branding/tier-art/${tier.code}`), t('卡面已移除', 'Card art removed'))} disabled={!canWrite}>
                    {t('移除', 'Remove')}
                  </Button>
                ) : null}
              </Space>
            ))}
          </Space>
        </Card>
      </Col>
      <Col xs={24} lg={12}>
        <Card title={t('会员卡预览（未保存的修改也会显示）', 'Card preview (shows unsaved changes)')}>
          <Space direction="vertical" size="middle">
            {tiers.map((tier) => <CardFacePreview key={tier.code} theme={preview} tier={tier} />)}
            <div style={{ width: 343, height: 44, background: preview.primaryColor, color: '#fff', display: 'flex', alignItems: 'center', justifyContent: 'center', fontWeight: 600, borderRadius: 6 }}>
              {t('导航栏', 'Navigation bar')} · {preview.name}
            </div>
            <button type="button" style={{ width: 343, height: 40, border: 'none', borderRadius: 20, background: preview.accentColor, color: '#fff', fontWeight: 600, fontSize: 15 }}>
              {t('立即开卡（强调色按钮）', 'Join now (accent button)')}
            </button>
          </Space>
        </Card>
      </Col>
    </Row>
  );
}

export default function BrandingPage() {
  const t = useT();
  const state = useAsync((signal) => api.get<BrandSettings>('/admin/branding', undefined, signal), []);
  return (
    <div>
      <PageTitle title={t('品牌设置', 'Brand')} sub={t('会员卡、小程序导航栏与按钮使用的名称、标志和颜色', 'The name, logo and colours on the card, the mini-program’s navigation bar and buttons')} />
      <AsyncView state={state}>{(saved) => <BrandingEditor saved={saved} onSaved={state.setData} />}</AsyncView>
    </div>
  );
}
