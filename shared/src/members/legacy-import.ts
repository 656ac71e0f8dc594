import { chinaIsoDate } from '../common/china-time';
import type { MemberImportProblem } from './admin';

// The rules of a legacy member file, row by row, with the reasons in Chinese (HQ reads them in the dry run).

/** One good row, ready to import. */
export interface LegacyMemberRow {
  /** Line in the file (header = 1). */
  line: number;
  legacyCardNo: string;
  phone: string | null;
  name: string | null;
  birthday: string | null;
  tier: string;
  points: number;
}

/** Column key → the headers it is recognised by (lower-cased). */
const COLUMNS = {
  cardNo: ['卡号', 'card_no', 'cardno', 'card number'],
  phone: ['手机号', '手机', 'phone', 'mobile'],
  name: ['姓名', 'name'],
  birthday: ['生日', 'birthday'],
  tier: ['等级', 'tier'],
  points: ['积分', '积分余额', 'points', 'balance'],
} as const;
type Column = keyof typeof COLUMNS;
const COLUMN_LABELS: Record<Column, string> = { cardNo: '卡号', phone: '手机号', name: '姓名', birthday: '生日', tier: '等级', points: '积分' };

export const MAX_OPENING_POINTS = 10_000_000;
export const MAX_IMPORT_ROWS = 20_000;

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

export interface LegacyCheckResult {
  rows: LegacyMemberRow[];
  problems: MemberImportProblem[];
  /** Data lines read (not counting the header and blank lines). */
  dataLines: number;
}

/**
 * Checks parsed CSV records (the header first) against the import's rules. `tiers` are the brand's tiers
 * (code and name; a row may give either, the first is the default). Every problem of every row is reported;
 * a row with any problem is not imported.
 */
export function checkLegacyRecords(records: string[][], tiers: Array<{ code: string; name: string }>, now: Date): LegacyCheckResult {
  const problems: MemberImportProblem[] = [];
  const [header, ...body] = records;
  if (!header) return { rows: [], problems: [{ row: 1, column: '', message: '文件是空的' }], dataLines: 0 };
  const positions = new Map<Column, number>();
  header.forEach((raw, index) => {
    const label = raw.replace(/^\ufeff/, '').trim().toLowerCase();
    const column = (Object.keys(COLUMNS) as Column[]).find((key) => (COLUMNS[key] as readonly string[]).includes(label));
    if (!column) problems.push({ row: 1, column: raw, message: `无法识别的列“${raw}”（可用：卡号、手机号、姓名、生日、等级、积分）` });
    else if (positions.has(column)) problems.push({ row: 1, column: raw, message: `列“${COLUMN_LABELS[column]}”出现了两次` });
    else positions.set(column, index);
  });
  if (!positions.has('cardNo')) {
    problems.push({ row: 1, column: '卡号', message: '缺少“卡号”列' });
    return { rows: [], problems, dataLines: body.length };
  }
  if (body.length > MAX_IMPORT_ROWS) {
    problems.push({ row: 1, column: '', message: `一次最多导入 ${MAX_IMPORT_ROWS} 行，本文件有 ${body.length} 行，请分批导入` });
    return { rows: [], problems, dataLines: body.length };
  }

  const today = chinaIsoDate(now);
  const tierByKey = new Map<string, string>();
  for (const tier of tiers) {
    tierByKey.set(tier.code.toLowerCase(), tier.code);
    tierByKey.set(tier.name.trim().toLowerCase(), tier.code);
  }
  const firstLineOfCard = new Map<string, number>();
  const firstLineOfPhone = new Map<string, number>();
  const rows: LegacyMemberRow[] = [];
  let dataLines = 0;

  body.forEach((record, index) => {
    const line = index + 2;
    if (record.every((cell) => cell.trim() === '')) return; // blank line
    dataLines++;
    const before = problems.length;
    const problem = (column: Column, message: string) => problems.push({ row: line, column: COLUMN_LABELS[column], message });
    if (record.length !== header.length) {
      problems.push({ row: line, column: '', message: `这一行有 ${record.length} 列，表头有 ${header.length} 列` });
      return;
    }
    const cell = (column: Column) => {
      const at = positions.get(column);
      return at === undefined ? '' : (record[at] ?? '').trim();
    };

    const legacyCardNo = cell('cardNo');
    if (!legacyCardNo) problem('cardNo', '卡号不能为空');
    else if (!/^[A-Za-z0-9-]{4,32}$/.test(legacyCardNo)) problem('cardNo', '卡号只能由 4–32 位字母、数字或“-”组成');
    else if (firstLineOfCard.has(legacyCardNo)) problem('cardNo', `与第 ${firstLineOfCard.get(legacyCardNo)} 行的卡号重复`);
    else firstLineOfCard.set(legacyCardNo, line);

    let phone: string | null = cell('phone').replace(/[\s-]/g, '').replace(/^\+?86(?=1\d{10}$)/, '') || null;
    if (phone && !/^1[3-9]\d{9}$/.test(phone)) {
      problem('phone', `手机号“${cell('phone')}”不是 11 位中国大陆手机号`);
      phone = null;
    } else if (phone && firstLineOfPhone.has(phone)) problem('phone', `与第 ${firstLineOfPhone.get(phone)} 行的手机号重复`);
    else if (phone) firstLineOfPhone.set(phone, line);

    const name = cell('name') || null;
    if (name && Array.from(name).length > 32) problem('name', '姓名不能超过 32 个字');
    else if (name && CONTROL_CHARACTERS.test(name)) problem('name', '姓名包含控制字符');

    let birthday: string | null = null;
    const rawBirthday = cell('birthday');
    if (rawBirthday) {
      const match = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(rawBirthday);
      const iso = match ? `${match[1]}-${match[2]!.padStart(2, '0')}-${match[3]!.padStart(2, '0')}` : null;
      if (!iso || !isCalendarDate(iso)) problem('birthday', `生日“${rawBirthday}”不是有效日期（格式：1990-05-20）`);
      else if (iso > today) problem('birthday', '生日不能晚于今天');
      else if (iso < '1900-01-01') problem('birthday', '生日不能早于 1900-01-01');
      else birthday = iso;
    }

    const rawTier = cell('tier');
    const tier = rawTier ? tierByKey.get(rawTier.toLowerCase()) : tiers[0]?.code;
    if (!tier) problem('tier', `没有名为“${rawTier}”的等级（可用：${tiers.map((t) => t.name).join('、')}）`);

    const rawPoints = cell('points').replace(/,/g, '');
    let points = 0;
    if (rawPoints) {
      if (!/^\d+$/.test(rawPoints)) problem('points', `积分“${cell('points')}”应为不小于 0 的整数`);
      else if (Number(rawPoints) > MAX_OPENING_POINTS) problem('points', `积分不能超过 ${MAX_OPENING_POINTS.toLocaleString('en-US')}`);
      else points = Number(rawPoints);
    }

    if (problems.length === before) rows.push({ line, legacyCardNo, phone, name, birthday, tier: tier!, points });
  });
  if (dataLines === 0 && problems.length === 0) problems.push({ row: 1, column: '', message: '文件只有表头，没有会员数据' });
  return { rows, problems, dataLines };
}

function isCalendarDate(iso: string): boolean {
  const date = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === iso;
}
