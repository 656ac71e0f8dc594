/** "123456789012" → "1234 5678 9012" as printed on the card. */
export function groupCardNo(cardNo: string): string {
  return cardNo.replace(/\s+/g, '').replace(/(\d{4})(?=\d)/g, '$1 ');
}

/** Fen → "¥12.50", "¥1,731.50" (whole yuan shown without decimals: "¥30", "¥2,000"). */
export function yuan(fen: number): string {
  const value = fen / 100;
  const text = Number.isInteger(value) ? String(value) : value.toFixed(2);
  return `¥${text.replace(/^(-?\d+)/, (whole) => whole.replace(/\B(?=(\d{3})+$)/g, ','))}`;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** ISO time → "2025-03-31" in China time (UTC+8, no DST), whatever the phone's zone. */
export function chinaDate(iso: string): string {
  const t = new Date(Date.parse(iso) + 8 * 3600_000);
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

/** ISO time → "03-31 19:30" in China time. */
export function chinaDateTime(iso: string): string {
  const t = new Date(Date.parse(iso) + 8 * 3600_000);
  return `${chinaDate(iso)} ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}`;
}

/** A fresh order number for a counter purchase: store, time, randomness; fits [A-Za-z0-9_-]{6,32}. */
export function newOrderNo(storeId: string, now = new Date()): string {
  const random = Math.random().toString(36).slice(2, 8).toUpperCase();
  return `${storeId.replace(/[^A-Za-z0-9]/g, '').slice(0, 8)}-${now.getTime().toString(36).toUpperCase()}-${random}`;
}

/** "12.5" (yuan typed by a clerk) → 1250 fen, or null if not a positive amount with at most 2 decimals. */
export function parseYuanToFen(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d+(\.\d{1,2})?$/.test(trimmed)) return null;
  const [whole, fraction = ''] = trimmed.split('.');
  const fen = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  return fen > 0 ? fen : null;
}
