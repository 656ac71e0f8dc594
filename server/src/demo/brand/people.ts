import type { Random } from './random';

// Who the demo brand's members are: Chinese names (surnames by how common they are), mobile numbers,
// birthdays, cities, interests and the tags HQ gave some of them.

/** The commonest surnames, weighted roughly by their share of the population. */
const SURNAMES: ReadonlyArray<[string, number]> = [
  ['王', 72], ['李', 71], ['张', 68], ['刘', 54], ['陈', 46], ['杨', 31], ['黄', 24], ['赵', 20], ['吴', 20], ['周', 19],
  ['徐', 15], ['孙', 15], ['马', 13], ['朱', 13], ['胡', 12], ['郭', 12], ['何', 11], ['林', 11], ['高', 10], ['罗', 10],
  ['郑', 9], ['梁', 9], ['谢', 7], ['宋', 7], ['唐', 7], ['许', 6], ['韩', 6], ['冯', 6], ['邓', 6], ['曹', 6],
  ['彭', 5], ['曾', 5], ['萧', 4], ['田', 4], ['董', 4], ['潘', 4], ['袁', 4], ['蔡', 4], ['蒋', 4], ['余', 4],
  ['于', 4], ['杜', 3], ['叶', 3], ['程', 3], ['魏', 3], ['苏', 3], ['吕', 3], ['丁', 3], ['任', 3], ['沈', 3],
  ['欧阳', 1], ['司马', 0.3], ['上官', 0.3],
];
const GIVEN_FEMALE = ['静', '敏', '婷', '丽', '娟', '芳', '雪', '琳', '欣', '悦', '怡', '佳', '雨', '晴', '梦', '诗', '思', '嘉', '慧', '颖', '倩', '璐', '瑶', '萱', '菲', '彤', '蕾', '楠', '晓', '可'];
const GIVEN_MALE = ['伟', '强', '磊', '洋', '勇', '军', '杰', '涛', '斌', '超', '明', '浩', '宇', '鹏', '辉', '博', '俊', '凯', '睿', '泽', '晨', '昊', '然', '航', '哲', '轩', '帆', '阳', '峰', '毅'];
const GIVEN_ANY = ['子', '一', '文', '天', '嘉', '安', '宁', '雨', '晓', '梓', '奕', '亦', '思', '乐', '星'];

/** China Mobile, Unicom and Telecom number blocks. */
const MOBILE_PREFIXES = ['134', '135', '136', '137', '138', '139', '150', '151', '152', '157', '158', '159', '182', '183', '187', '188', '198', '130', '131', '132', '155', '156', '166', '185', '186', '133', '153', '173', '177', '180', '181', '189', '199'];

export const INTERESTS = ['咖啡', '烘焙', '美食', '亲子', '健身', '红酒', '宠物', '旅行', '有机生活', '下厨'];

/** Tags HQ puts on members by hand (the segment builder's tag filter offers them). */
export const MEMBER_TAGS = ['企业团购', '社群活跃', '宝妈', '红酒爱好者', '宠物家庭', '健身达人', '员工家属', 'KOC'];

export interface Person {
  name: string;
  gender: 'male' | 'female';
  phone: string;
}

export function person(random: Random): Person {
  const surname = random.weighted(SURNAMES, ([, weight]) => weight)[0];
  const gender = random.chance(0.58) ? 'female' : 'male'; // members skew female, as in most retail programmes
  const pool = gender === 'female' ? GIVEN_FEMALE : GIVEN_MALE;
  const given = random.chance(0.25) ? random.pick(pool) : (random.chance(0.3) ? random.pick(GIVEN_ANY) : random.pick(pool)) + random.pick(pool);
  return { name: surname + given, gender, phone: random.pick(MOBILE_PREFIXES) + random.digits(8) };
}

/** A birthday (YYYY-MM-DD) for an adult born between 1965 and 2004, younger ages likelier. */
export function birthday(random: Random): string {
  const year = Math.round(Math.min(2004, Math.max(1965, 1992 + random.normal() * 8)));
  const month = random.int(1, 12);
  const day = random.int(1, new Date(Date.UTC(year, month, 0)).getUTCDate());
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

export function interests(random: Random, preferred: readonly string[]): string[] {
  const chosen = new Set<string>(preferred.filter(() => random.chance(0.7)));
  while (chosen.size < 2) chosen.add(random.pick(INTERESTS));
  return [...chosen].slice(0, 4);
}

/** The member's WeChat openid (28 characters like WeChat's; never the emulator's `emu_` form, so no demo sign-in takes one over). */
export function openid(random: Random): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let id = 'oDm';
  while (id.length < 28) id += alphabet[random.int(0, alphabet.length - 1)];
  return id;
}
