import type { LifeSituation } from './schema';

export interface DefaultCategory {
  code: string;
  name: string;
  nameEn: string;
  situation: LifeSituation;
}

/**
 * The retail set a new programme starts with (seeded once, on the first start with no categories; HQ
 * renames, adds or disables from there). Grouped by the life situation each category points to.
 */
export const DEFAULT_CATEGORIES: readonly DefaultCategory[] = [
  { code: 'INFANT_FORMULA', name: '婴幼儿奶粉', nameEn: 'Infant formula', situation: 'young_family' },
  { code: 'DIAPERS', name: '纸尿裤', nameEn: 'Nappies', situation: 'young_family' },
  { code: 'BABY_FOOD', name: '婴童辅食', nameEn: 'Baby food', situation: 'young_family' },
  { code: 'BABY_CARE', name: '母婴用品', nameEn: 'Baby care', situation: 'young_family' },
  { code: 'TOYS', name: '儿童玩具', nameEn: 'Toys', situation: 'young_family' },
  { code: 'FRUIT', name: '新鲜水果', nameEn: 'Fresh fruit', situation: 'healthy_living' },
  { code: 'VEGETABLES', name: '新鲜蔬菜', nameEn: 'Fresh vegetables', situation: 'healthy_living' },
  { code: 'ORGANIC', name: '有机食品', nameEn: 'Organic food', situation: 'healthy_living' },
  { code: 'GRAINS', name: '五谷杂粮', nameEn: 'Whole grains', situation: 'healthy_living' },
  { code: 'SPORTS_NUTRITION', name: '运动营养', nameEn: 'Sports nutrition', situation: 'healthy_living' },
  { code: 'SUPPLEMENTS', name: '营养保健', nameEn: 'Health supplements', situation: 'healthy_living' },
  { code: 'MEAT_POULTRY', name: '肉禽', nameEn: 'Meat & poultry', situation: 'home_cooking' },
  { code: 'SEAFOOD', name: '水产海鲜', nameEn: 'Fish & seafood', situation: 'home_cooking' },
  { code: 'EGGS', name: '鲜蛋', nameEn: 'Eggs', situation: 'home_cooking' },
  { code: 'RICE_FLOUR_OIL', name: '米面粮油', nameEn: 'Rice, flour & oil', situation: 'home_cooking' },
  { code: 'CONDIMENTS', name: '调味品', nameEn: 'Condiments', situation: 'home_cooking' },
  { code: 'FROZEN', name: '冷冻食品', nameEn: 'Frozen food', situation: 'home_cooking' },
  { code: 'DAIRY', name: '乳品', nameEn: 'Dairy', situation: 'daily_basics' },
  { code: 'BAKERY', name: '烘焙面包', nameEn: 'Bakery', situation: 'daily_basics' },
  { code: 'SNACKS', name: '休闲零食', nameEn: 'Snacks', situation: 'snacks_treats' },
  { code: 'CONFECTIONERY', name: '糖果巧克力', nameEn: 'Sweets & chocolate', situation: 'snacks_treats' },
  { code: 'SOFT_DRINKS', name: '饮料', nameEn: 'Soft drinks', situation: 'snacks_treats' },
  { code: 'COFFEE_TEA', name: '咖啡茶饮', nameEn: 'Coffee & tea', situation: 'snacks_treats' },
  { code: 'ICE_CREAM', name: '冰淇淋', nameEn: 'Ice cream', situation: 'snacks_treats' },
  { code: 'WINE', name: '葡萄酒', nameEn: 'Wine', situation: 'entertaining' },
  { code: 'BAIJIU', name: '白酒', nameEn: 'Baijiu', situation: 'entertaining' },
  { code: 'BEER', name: '啤酒', nameEn: 'Beer', situation: 'entertaining' },
  { code: 'SPIRITS', name: '洋酒', nameEn: 'Spirits', situation: 'entertaining' },
  { code: 'GIFT_BOXES', name: '节庆礼盒', nameEn: 'Gift boxes', situation: 'entertaining' },
  { code: 'CLEANING', name: '清洁用品', nameEn: 'Cleaning', situation: 'home_care' },
  { code: 'PAPER_GOODS', name: '纸品', nameEn: 'Paper goods', situation: 'home_care' },
  { code: 'KITCHENWARE', name: '厨房用品', nameEn: 'Kitchenware', situation: 'home_care' },
  { code: 'HOME_STORAGE', name: '家居收纳', nameEn: 'Home storage', situation: 'home_care' },
  { code: 'HAIR_BODY', name: '洗发沐浴', nameEn: 'Hair & body care', situation: 'personal_care' },
  { code: 'ORAL_CARE', name: '口腔护理', nameEn: 'Oral care', situation: 'personal_care' },
  { code: 'SKINCARE_MAKEUP', name: '美妆护肤', nameEn: 'Skincare & make-up', situation: 'personal_care' },
  { code: 'FEMININE_CARE', name: '女性护理', nameEn: 'Feminine care', situation: 'personal_care' },
  { code: 'PET_FOOD', name: '宠物食品', nameEn: 'Pet food', situation: 'pet_owners' },
  { code: 'PET_SUPPLIES', name: '宠物用品', nameEn: 'Pet supplies', situation: 'pet_owners' },
  { code: 'READY_MEALS', name: '熟食便当', nameEn: 'Ready meals', situation: 'busy_professionals' },
  { code: 'INSTANT_FOOD', name: '方便速食', nameEn: 'Instant food', situation: 'busy_professionals' },
];
