/**
 * A sample till (POS) client for the membercard POS API: signs every request as the server expects and walks
 * a sale through identify → quote → order → return. Node's fetch and crypto only, so it can be copied into a
 * till's integration as it is.
 *
 *   npx tsx scripts/pos-client.ts <command> [options]
 *
 * Connection (options or environment): --base / POS_BASE_URL (default http://localhost:3000), --key / POS_KEY_ID,
 * --secret / POS_SECRET (from HQ: POST /api/v1/admin/pos/credentials, or `create-key` below in the demo).
 *
 * Commands:
 *   create-key [--store SH01] [--hq-user hq --hq-pass hq-demo-pass]   HQ creates a key (prints the secret once)
 *   demo-member <nickname>                  demo only: a shopper joins through the WeChat emulator; prints their member code
 *   identify (--code <member code> | --phone <11 digits>)
 *   quote --member <memberId> [--lines lines.json]
 *   order --member <memberId> --order-no <no> [--lines lines.json] [--coupon <couponId>]...
 *   get-order <orderNo>
 *   return --order-no <no> --return-no <no> (--whole | --line <index>:<qty>...)
 *   sale (--code <member code> | --phone <n>) [--order-no <no>]   identify, quote, order with the best coupon
 *
 * Lines default to a sample basket of five; a lines file is a JSON array of
 * {sku, name, category, qty, unitFen, amountFen} with amountFen = qty × unitFen and category an active
 * category code HQ manages in the console (商品品类; GET /api/v1/admin/categories), e.g. DAIRY.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface PosConnection {
  baseUrl: string;
  keyId: string;
  secret: string;
}

/**
 * Signs and sends one request: X-POS-Key, X-POS-Timestamp (Unix seconds), X-POS-Nonce (fresh each time, retries
 * included) and X-POS-Signature = hex HMAC-SHA256(secret, METHOD \n path?query \n timestamp \n nonce \n
 * hex SHA-256(body)). The body is hashed exactly as sent.
 */
export async function posRequest(conn: PosConnection, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const raw = body === undefined ? '' : JSON.stringify(body);
  const pathWithQuery = `/api/v1${path}`;
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(16).toString('base64url');
  const bodyHash = createHash('sha256').update(raw, 'utf8').digest('hex');
  const signature = createHmac('sha256', conn.secret).update([method.toUpperCase(), pathWithQuery, timestamp, nonce, bodyHash].join('\n')).digest('hex');
  const res = await fetch(conn.baseUrl.replace(/\/$/, '') + pathWithQuery, {
    method,
    headers: {
      'X-POS-Key': conn.keyId,
      'X-POS-Timestamp': timestamp,
      'X-POS-Nonce': nonce,
      'X-POS-Signature': signature,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: raw }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

export const SAMPLE_LINES = [
  { sku: 'MILK-1L', name: '鲜牛奶 1L', category: 'DAIRY', qty: 2, unitFen: 1_590, amountFen: 3_180 },
  { sku: 'BREAD', name: '全麦面包', category: 'BAKERY', qty: 1, unitFen: 1_220, amountFen: 1_220 },
  { sku: 'APPLE', name: '富士苹果', category: 'FRUIT', qty: 4, unitFen: 650, amountFen: 2_600 },
  { sku: 'WINE', name: '红酒', category: 'WINE', qty: 1, unitFen: 26_800, amountFen: 26_800 },
  { sku: 'TISSUE', name: '纸巾', category: 'PAPER_GOODS', qty: 3, unitFen: 600, amountFen: 1_800 },
];

const USAGE = `Usage: npx tsx scripts/pos-client.ts <command> [options]
  connection: --base (POS_BASE_URL, default http://localhost:3000) --key (POS_KEY_ID) --secret (POS_SECRET)
  create-key [--store SH01] [--hq-user hq --hq-pass hq-demo-pass]
  demo-member <nickname>
  identify (--code <member code> | --phone <11 digits>)
  quote --member <memberId> [--lines lines.json]
  order --member <memberId> --order-no <no> [--lines lines.json] [--coupon <couponId>]...
  get-order <orderNo>
  return --order-no <no> --return-no <no> (--whole | --line <index>:<qty>...)
  sale (--code <member code> | --phone <n>) [--order-no <no>]`;

const yuan = (fen: number) => `¥${(fen / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

function parseArgs(argv: string[]): { positional: string[]; options: Map<string, string[]> } {
  const positional: string[] = [];
  const options = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const name = arg.slice(2);
    const next = argv[i + 1];
    const value = next !== undefined && !next.startsWith('--') ? (i++, next) : 'true';
    options.set(name, [...(options.get(name) ?? []), value]);
  }
  return { positional, options };
}

async function json(baseUrl: string, method: string, path: string, body?: unknown, token?: string): Promise<any> {
  const res = await fetch(baseUrl.replace(/\/$/, '') + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const answer = await res.json().catch(() => null);
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(answer)}`);
  return answer;
}

function show(label: string, res: { status: number; body: any }): any {
  console.log(`${label}: HTTP ${res.status}`);
  console.log(JSON.stringify(res.body, null, 2));
  if (res.status >= 400) process.exitCode = 1;
  return res.body;
}

async function main(): Promise<void> {
  const { positional, options } = parseArgs(process.argv.slice(2));
  const one = (name: string, env?: string, fallback?: string) => options.get(name)?.[0] ?? (env ? process.env[env] : undefined) ?? fallback;
  const need = (name: string, env?: string) => {
    const value = one(name, env);
    if (!value) throw new Error(`--${name}${env ? ` (or ${env})` : ''} is required`);
    return value;
  };
  const baseUrl = one('base', 'POS_BASE_URL', 'http://localhost:3000')!;
  const conn = (): PosConnection => ({ baseUrl, keyId: need('key', 'POS_KEY_ID'), secret: need('secret', 'POS_SECRET') });
  const lines = () => (options.has('lines') ? JSON.parse(readFileSync(need('lines'), 'utf8')) : SAMPLE_LINES);
  const identifyBody = () => (options.has('code') ? { memberCode: need('code') } : { phone: need('phone') });
  const [command] = positional;

  switch (command) {
    case 'create-key': {
      const login = await json(baseUrl, 'POST', '/api/v1/auth/admin', { username: one('hq-user', undefined, 'hq'), password: one('hq-pass', undefined, 'hq-demo-pass') });
      const key = await json(baseUrl, 'POST', '/api/v1/admin/pos/credentials', { storeId: one('store', undefined, 'SH01') }, login.token);
      console.log(`POS key for ${key.storeId}; the secret is shown this once, keep it in the till:`);
      console.log(`export POS_KEY_ID=${key.keyId}`);
      console.log(`export POS_SECRET=${key.secret}`);
      return;
    }
    case 'demo-member': {
      const nickname = positional[1] ?? 'pos-demo';
      const { code } = await json(baseUrl, 'POST', '/__emulator/h5/login-code', { nickname });
      const { token, member } = await json(baseUrl, 'POST', '/api/v1/auth/wechat', { code });
      if (!member) await json(baseUrl, 'POST', '/api/v1/me/membership', { acceptTerms: true, privacyPolicyVersion: '2026-01', homeStoreId: 'SH01' }, token);
      const card = await json(baseUrl, 'GET', '/api/v1/me/member-code', undefined, token);
      console.log(`Member code of ${nickname} (valid about a minute, as the card shows it): ${card.code}`);
      return;
    }
    case 'identify':
      show('identify', await posRequest(conn(), 'POST', '/pos/members/identify', identifyBody()));
      return;
    case 'quote':
      show('quote', await posRequest(conn(), 'POST', '/pos/quote', { memberId: need('member'), lines: lines() }));
      return;
    case 'order': {
      const basket = lines();
      const totalFen = basket.reduce((sum: number, l: { amountFen: number }) => sum + l.amountFen, 0);
      show('order', await posRequest(conn(), 'POST', '/pos/orders', { orderNo: need('order-no'), memberId: need('member'), lines: basket, totalFen, couponIds: options.get('coupon') ?? [] }));
      return;
    }
    case 'get-order':
      show('order', await posRequest(conn(), 'GET', `/pos/orders/${encodeURIComponent(positional[1] ?? need('order-no'))}`));
      return;
    case 'return': {
      const body = options.has('whole')
        ? { returnNo: need('return-no'), orderNo: need('order-no'), whole: true }
        : {
            returnNo: need('return-no'),
            orderNo: need('order-no'),
            lines: (options.get('line') ?? []).map((spec) => {
              const [line, qty] = spec.split(':').map(Number);
              return { line, qty };
            }),
          };
      show('return', await posRequest(conn(), 'POST', '/pos/returns', body));
      return;
    }
    case 'sale': {
      const c = conn();
      const member = show('identify', await posRequest(c, 'POST', '/pos/members/identify', identifyBody()));
      if (!member?.memberId) return;
      const basket = lines();
      const quote = show('quote', await posRequest(c, 'POST', '/pos/quote', { memberId: member.memberId, lines: basket }));
      const best = quote.coupons.find((coupon: { applicable: boolean; savingFen: number }) => coupon.applicable && coupon.savingFen > 0);
      const orderNo = one('order-no', undefined, `POS-${Date.now()}`)!;
      const order = show('order', await posRequest(c, 'POST', '/pos/orders', { orderNo, memberId: member.memberId, lines: basket, totalFen: quote.totalFen, couponIds: best ? [best.couponId] : [] }));
      if (order?.orderNo) {
        console.log(`\n${orderNo}: ${yuan(order.totalFen)} − ${yuan(order.discountFen)} = ${yuan(order.netFen)} paid, ${order.pointsEarned} points (balance ${order.pointsBalance})`);
        console.log(`Return a line: npx tsx scripts/pos-client.ts return --order-no ${orderNo} --return-no ${orderNo}-R1 --line 2:1`);
      }
      return;
    }
    default:
      console.log(USAGE);
      process.exitCode = command ? 1 : 0;
  }
}

if (process.argv[1] && /pos-client\.ts$/.test(process.argv[1])) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
