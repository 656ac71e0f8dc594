// Money travels as integer fen and is shown as yuan; points are integers; times are ISO strings in UTC
// shown in the browser's time zone (HQ sits in China).

export function fenToYuanText(fen: number | null | undefined, withSymbol = true): string {
  if (fen === null || fen === undefined || Number.isNaN(fen)) return '—';
  const yuan = fen / 100;
  const text = yuan.toLocaleString('zh-CN', { minimumFractionDigits: fen % 100 === 0 ? 0 : 2, maximumFractionDigits: 2 });
  return withSymbol ? `¥${text}` : text;
}

/** Yuan typed in a form → integer fen; undefined stays undefined so optional fields stay absent. */
export function yuanToFen(yuan: number | null | undefined): number | undefined {
  if (yuan === null || yuan === undefined || Number.isNaN(yuan)) return undefined;
  return Math.round(yuan * 100);
}

export function fenToYuan(fen: number | null | undefined): number | undefined {
  if (fen === null || fen === undefined) return undefined;
  return fen / 100;
}

export function formatInt(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  return Math.trunc(value).toLocaleString('zh-CN');
}

export function formatPercent(ratio: number | null | undefined, digits = 1): string {
  if (ratio === null || ratio === undefined || Number.isNaN(ratio)) return '—';
  return `${(ratio * 100).toFixed(digits)}%`;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

const CHINA_OFFSET_MS = 8 * 3600_000;

/** An instant as China reads it (UTC+8, no daylight saving), whatever the browser's time zone. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const instant = new Date(iso);
  if (Number.isNaN(instant.getTime())) return iso;
  const china = new Date(instant.getTime() + CHINA_OFFSET_MS);
  return `${china.getUTCFullYear()}-${pad(china.getUTCMonth() + 1)}-${pad(china.getUTCDate())} ${pad(china.getUTCHours())}:${pad(china.getUTCMinutes())}`;
}

export function formatDate(iso: string | null | undefined): string {
  return iso ? formatDateTime(iso).slice(0, 10) : '—';
}

/** "+120" / "-30", so ledger deltas read as gains and spends at a glance. */
export function signed(value: number): string {
  return value > 0 ? `+${formatInt(value)}` : formatInt(value);
}
