import { BrandImageUploadSchema, BrandSettingsPatchSchema, cardFaceLook, checkBrandColours, contrastRatio, DEFAULT_BRAND_THEME, shade } from '.';

describe('brand colours', () => {
  it('measures contrast as WCAG 2 does', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBe(21);
    expect(contrastRatio('#ffffff', '#ffffff')).toBe(1);
    // #777777 on white is the textbook near-miss of AA (4.47:1).
    expect(contrastRatio('#777777', '#ffffff')).toBe(4.47);
  });

  it('refuses a primary colour white text cannot be read on, and warns of a large-text-only accent', () => {
    const pale = checkBrandColours('#f5d76e', '#c2410c');
    expect(pale.problems).toEqual([{ field: 'primaryColor', ratio: expect.any(Number), needed: 4.5 }]);
    const weakAccent = checkBrandColours('#1f4e79', '#e65100');
    expect(weakAccent.problems).toEqual([]);
    expect(weakAccent.warnings).toHaveLength(1);
    const unreadableAccent = checkBrandColours('#1f4e79', '#ffd700');
    expect(unreadableAccent.problems.map((p) => p.field)).toEqual(['accentColor']);
    expect(checkBrandColours(DEFAULT_BRAND_THEME.primaryColor, DEFAULT_BRAND_THEME.accentColor)).toMatchObject({ problems: [], warnings: [] });
  });

  it('gives a tier its art, else a gradient of the primary colour', () => {
    const theme = { ...DEFAULT_BRAND_THEME, tierArt: { gold: '/api/v1/brand/assets/' + 'a'.repeat(64) } };
    expect(cardFaceLook(theme, 'gold').artUrl).toBe(theme.tierArt.gold);
    expect(cardFaceLook(theme, 'silver')).toMatchObject({ artUrl: null, background: `linear-gradient(135deg, #1f4e79, ${shade('#1f4e79', -0.35)})` });
    expect(shade('#808080', -1)).toBe('#000000');
  });

  it('takes colours as #rrggbb and images as base64 only', () => {
    expect(BrandSettingsPatchSchema.safeParse({ primaryColor: 'red' }).success).toBe(false);
    expect(BrandSettingsPatchSchema.parse({ primaryColor: '#AABBCC' }).primaryColor).toBe('#aabbcc');
    expect(BrandSettingsPatchSchema.safeParse({ logo: 'x' }).success).toBe(false);
    expect(BrandImageUploadSchema.safeParse({ data: 'not base64!' }).success).toBe(false);
  });
});
