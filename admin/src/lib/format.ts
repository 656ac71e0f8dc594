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

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function formatDate(iso: string | null | undefined): string {
  return iso ? formatDateTime(iso).slice(0, 10) : '—';
}

/** "+120" / "-30", so ledger deltas read as gains and spends at a glance. */
export function signed(value: number): string {
  return value > 0 ? `+${formatInt(value)}` : formatInt(value);
}
