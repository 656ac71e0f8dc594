import type { Random } from './random';

// What the demo brand (a neighbourhood premium grocer with a café corner) sells: SKUs under the category
// codes of the product's default retail set (shared DEFAULT_CATEGORIES), and the shopper profiles that
// decide what lands in a basket, so "bought formula in the last 30 days" finds the young families.

export interface Product {
  sku: string;
  name: string;
  category: string;
  priceFen: number;
}

export const PRODUCTS: readonly Product[] = [
  { sku: 'CF-001', name: '拿铁', category: 'COFFEE_TEA', priceFen: 2_800 },
  { sku: 'CF-002', name: '美式咖啡', category: 'COFFEE_TEA', priceFen: 2_200 },
  { sku: 'CF-010', name: '云南小粒咖啡豆 250g', category: 'COFFEE_TEA', priceFen: 8_800 },
  { sku: 'CF-020', name: '明前龙井 100g', category: 'COFFEE_TEA', priceFen: 16_800 },
  { sku: 'BK-001', name: '全麦吐司', category: 'BAKERY', priceFen: 1_800 },
  { sku: 'BK-002', name: '可颂（2只装）', category: 'BAKERY', priceFen: 2_400 },
  { sku: 'BK-010', name: '巴斯克芝士蛋糕', category: 'BAKERY', priceFen: 6_800 },
  { sku: 'DY-001', name: '鲜牛奶 950ml', category: 'DAIRY', priceFen: 1_990 },
  { sku: 'DY-002', name: '希腊酸奶 4杯', category: 'DAIRY', priceFen: 2_590 },
  { sku: 'DY-010', name: '马苏里拉奶酪', category: 'DAIRY', priceFen: 3_900 },
  { sku: 'FR-001', name: '阳光玫瑰葡萄 1kg', category: 'FRUIT', priceFen: 5_990 },
  { sku: 'FR-002', name: '智利车厘子 500g', category: 'FRUIT', priceFen: 8_900 },
  { sku: 'FR-003', name: '赣南脐橙 2.5kg', category: 'FRUIT', priceFen: 3_990 },
  { sku: 'VG-001', name: '有机菠菜', category: 'VEGETABLES', priceFen: 1_290 },
  { sku: 'VG-002', name: '水果番茄 500g', category: 'VEGETABLES', priceFen: 1_590 },
  { sku: 'OR-001', name: '有机燕麦片 1kg', category: 'ORGANIC', priceFen: 4_590 },
  { sku: 'MT-001', name: '谷饲牛排 2片', category: 'MEAT_POULTRY', priceFen: 12_800 },
  { sku: 'MT-002', name: '散养鸡腿 500g', category: 'MEAT_POULTRY', priceFen: 3_290 },
  { sku: 'SF-001', name: '挪威三文鱼 300g', category: 'SEAFOOD', priceFen: 9_800 },
  { sku: 'SF-002', name: '阿根廷红虾 1kg', category: 'SEAFOOD', priceFen: 15_800 },
  { sku: 'EG-001', name: '可生食鸡蛋 10枚', category: 'EGGS', priceFen: 2_680 },
  { sku: 'RF-001', name: '五常大米 5kg', category: 'RICE_FLOUR_OIL', priceFen: 8_900 },
  { sku: 'RF-002', name: '特级初榨橄榄油 750ml', category: 'RICE_FLOUR_OIL', priceFen: 13_800 },
  { sku: 'SN-001', name: '每日坚果 30袋', category: 'SNACKS', priceFen: 12_900 },
  { sku: 'SN-002', name: '海盐薯片', category: 'SNACKS', priceFen: 1_290 },
  { sku: 'CO-001', name: '黑巧克力 85%', category: 'CONFECTIONERY', priceFen: 3_500 },
  { sku: 'SD-001', name: '气泡水 12瓶', category: 'SOFT_DRINKS', priceFen: 4_800 },
  { sku: 'WN-001', name: '波尔多干红', category: 'WINE', priceFen: 19_800 },
  { sku: 'WN-002', name: '新西兰长相思', category: 'WINE', priceFen: 15_800 },
  { sku: 'WN-010', name: '香槟', category: 'WINE', priceFen: 42_800 },
  { sku: 'BR-001', name: '精酿啤酒 6瓶', category: 'BEER', priceFen: 8_900 },
  { sku: 'GB-001', name: '中秋月饼礼盒', category: 'GIFT_BOXES', priceFen: 29_800 },
  { sku: 'GB-002', name: '新春坚果礼盒', category: 'GIFT_BOXES', priceFen: 39_800 },
  { sku: 'IF-001', name: '婴幼儿配方奶粉 3段 800g', category: 'INFANT_FORMULA', priceFen: 32_800 },
  { sku: 'DP-001', name: '纸尿裤 L 54片', category: 'DIAPERS', priceFen: 13_900 },
  { sku: 'BF-001', name: '有机米粉', category: 'BABY_FOOD', priceFen: 6_800 },
  { sku: 'PF-001', name: '无谷猫粮 2kg', category: 'PET_FOOD', priceFen: 16_800 },
  { sku: 'PF-002', name: '冻干狗零食', category: 'PET_FOOD', priceFen: 5_900 },
  { sku: 'RM-001', name: '日式便当', category: 'READY_MEALS', priceFen: 3_800 },
  { sku: 'RM-002', name: '轻食沙拉', category: 'READY_MEALS', priceFen: 3_200 },
  { sku: 'KW-001', name: '手冲咖啡壶', category: 'KITCHENWARE', priceFen: 26_800 },
];

/** A shopper profile: the categories their baskets lean to, and the interests they give in their profile. */
export interface Persona {
  code: string;
  share: number;
  leans: Record<string, number>;
  interests: string[];
  tag?: string;
}

export const PERSONAS: readonly Persona[] = [
  { code: 'young_family', share: 0.18, leans: { INFANT_FORMULA: 6, DIAPERS: 6, BABY_FOOD: 4, FRUIT: 3, DAIRY: 3 }, interests: ['亲子', '烘焙'], tag: '宝妈' },
  { code: 'healthy', share: 0.2, leans: { FRUIT: 4, VEGETABLES: 5, ORGANIC: 4, EGGS: 2, DAIRY: 2 }, interests: ['健身', '有机生活'], tag: '健身达人' },
  { code: 'foodie', share: 0.2, leans: { MEAT_POULTRY: 4, SEAFOOD: 4, RICE_FLOUR_OIL: 3, VEGETABLES: 2, EGGS: 2 }, interests: ['下厨', '美食'] },
  { code: 'coffee', share: 0.2, leans: { COFFEE_TEA: 8, BAKERY: 6, CONFECTIONERY: 1, KITCHENWARE: 0.4 }, interests: ['咖啡', '烘焙'] },
  { code: 'entertaining', share: 0.1, leans: { WINE: 5, BEER: 2, SEAFOOD: 2, GIFT_BOXES: 1.5, SNACKS: 2 }, interests: ['红酒', '美食'], tag: '红酒爱好者' },
  { code: 'pet', share: 0.07, leans: { PET_FOOD: 6, SNACKS: 2, READY_MEALS: 2 }, interests: ['宠物'], tag: '宠物家庭' },
  { code: 'office', share: 0.05, leans: { READY_MEALS: 6, COFFEE_TEA: 4, SOFT_DRINKS: 2, SNACKS: 2 }, interests: ['咖啡', '旅行'] },
];

const BASELINE = 0.3; // every category turns up now and then, whoever shops

export type PurchaseLineDraft = { sku: string; name: string; category: string; qty: number; amountFen: number };

/**
 * A basket of about `targetFen` (never under one item): items drawn by the persona's leanings, gift boxes
 * likelier in the weeks before 中秋 and 春节.
 */
export function basket(random: Random, persona: Persona, targetFen: number, giftSeason: boolean): PurchaseLineDraft[] {
  const lines = new Map<string, PurchaseLineDraft>();
  let total = 0;
  const weight = (product: Product) => (persona.leans[product.category] ?? 0) + BASELINE + (giftSeason && product.category === 'GIFT_BOXES' ? 4 : 0);
  while (lines.size === 0 || (total < targetFen * 0.9 && lines.size < 9)) {
    const product = random.weighted(PRODUCTS, weight);
    // A big-ticket item the basket has no room for is swapped for something smaller, most of the time.
    if (lines.size > 0 && total + product.priceFen > targetFen * 1.4 && random.chance(0.8)) continue;
    const qty = product.priceFen < 3_000 && random.chance(0.35) ? 2 : 1;
    const line = lines.get(product.sku) ?? { sku: product.sku, name: product.name, category: product.category, qty: 0, amountFen: 0 };
    line.qty += qty;
    line.amountFen += qty * product.priceFen;
    lines.set(product.sku, line);
    total += qty * product.priceFen;
  }
  return [...lines.values()];
}
