import { encodePng, type Rgba } from '../../modules/branding/png';
import type { Services } from '../../services';

// The demo brand's look: 栖木生活 (a home-and-living chain), forest green with a warm amber accent, a leaf logo
// and card art for the gold and platinum tiers, all drawn here (no binary files in the repository). Joining
// gives 100 points with the welcome coupon. Written straight into the brand settings once, like the rest of
// the demo brand.

export const DEMO_BRAND_THEME = { name: '栖木生活', primaryColor: '#0e6b4f', accentColor: '#b45309' } as const;
export const DEMO_WELCOME_POINTS = 100;

const hex = (value: string): [number, number, number] => [1, 3, 5].map((i) => Number.parseInt(value.slice(i, i + 2), 16)) as [number, number, number];
const mix = (a: [number, number, number], b: [number, number, number], t: number): [number, number, number] => a.map((v, i) => v + (b[i]! - v) * t) as [number, number, number];

/** A leaf on a white rounded square, 96 px. */
export function drawDemoLogo(): Buffer {
  const size = 96;
  const green = hex(DEMO_BRAND_THEME.primaryColor);
  return encodePng(size, size, (x, y): Rgba => {
    const [u, v] = [(x - size / 2) / (size / 2), (y - size / 2) / (size / 2)];
    // Rounded square mask.
    const corner = Math.max(Math.abs(u), Math.abs(v)) > 0.8 && Math.hypot(Math.abs(u) - 0.8, Math.abs(v) - 0.8) > 0.2 && Math.abs(u) > 0.8 && Math.abs(v) > 0.8;
    if (corner) return [0, 0, 0, 0];
    // The leaf: two arcs meeting at the tips, tilted 45°, with a vein.
    const [p, q] = [(u + v) / Math.SQRT2, (v - u) / Math.SQRT2];
    const inLeaf = Math.abs(p) < 0.62 && Math.abs(q) < 0.36 * (1 - (p / 0.62) ** 2);
    const vein = Math.abs(q) < 0.025 && Math.abs(p) < 0.55;
    if (inLeaf && !vein) return [...mix(green, [120, 190, 110], (p + 0.62) / 1.24 * 0.6), 255];
    return [255, 255, 255, 255];
  });
}

/** Card art: a diagonal wash between two colours with soft concentric rings of wood grain, 686×400 px. */
export function drawDemoCardArt(from: string, to: string): Buffer {
  const [w, h] = [686, 400];
  const [a, b] = [hex(from), hex(to)];
  return encodePng(w, h, (x, y): Rgba => {
    const t = (x / w + y / h) / 2;
    const r = Math.hypot(x - w * 0.85, y - h * 1.1);
    const grain = 0.06 * Math.sin(r / 9) + 0.03 * Math.sin(r / 3.1);
    return [...mix(a, b, t).map((c) => c * (1 + grain)) as [number, number, number], 255];
  });
}

export async function seedDemoTheme(services: Services): Promise<void> {
  const { branding, models, clock } = services;
  const [logo, gold, platinum] = await Promise.all([
    branding.storeImage(drawDemoLogo().toString('base64')),
    branding.storeImage(drawDemoCardArt('#8a5a14', '#3d2806').toString('base64')),
    branding.storeImage(drawDemoCardArt('#2b3440', '#0b0f14').toString('base64')),
  ]);
  await models.brand.updateOne(
    { _id: 'brand' },
    { $setOnInsert: { ...DEMO_BRAND_THEME, logoAssetId: logo, tierArt: { gold, platinum }, updatedAt: clock.now() } },
    { upsert: true },
  );
  await models.automationRules.updateOne({ _id: 'welcome' }, { $set: { points: DEMO_WELCOME_POINTS } });
}
