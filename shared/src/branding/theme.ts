import { DEFAULT_PROGRAMME_NAME } from '../app-config/schema';
import { contrastRatio, shade } from './colour';
import { ACCENT_GOOD_CONTRAST, ACCENT_MIN_CONTRAST, PRIMARY_MIN_CONTRAST, type BrandTheme } from './schema';

// One theme, applied the same way by the mini-program (WeChat and H5) and the console's preview: the card face's
// background, the navigation bar's colours, the accent of buttons.

export const DEFAULT_BRAND_THEME: BrandTheme = {
  name: DEFAULT_PROGRAMME_NAME,
  primaryColor: '#1f4e79',
  accentColor: '#c2410c',
  logoUrl: null,
  tierArt: {},
};

export interface ColourCheck {
  contrast: { primary: number; accent: number };
  /** Refusals (English, for the error answer's details). */
  problems: Array<{ field: 'primaryColor' | 'accentColor'; ratio: number; needed: number }>;
  /** Accepted but weak (Chinese, shown in the console). */
  warnings: string[];
}

/** Whether white text stays readable on each colour (WCAG 2 ratios). */
export function checkBrandColours(primaryColor: string, accentColor: string): ColourCheck {
  const contrast = { primary: contrastRatio(primaryColor, '#ffffff'), accent: contrastRatio(accentColor, '#ffffff') };
  const problems: ColourCheck['problems'] = [];
  if (contrast.primary < PRIMARY_MIN_CONTRAST) problems.push({ field: 'primaryColor', ratio: contrast.primary, needed: PRIMARY_MIN_CONTRAST });
  if (contrast.accent < ACCENT_MIN_CONTRAST) problems.push({ field: 'accentColor', ratio: contrast.accent, needed: ACCENT_MIN_CONTRAST });
  const warnings =
    contrast.accent >= ACCENT_MIN_CONTRAST && contrast.accent < ACCENT_GOOD_CONTRAST
      ? [`强调色上的白字对比度 ${contrast.accent}:1，只适合大号粗体文字（正文需 ${ACCENT_GOOD_CONTRAST}:1）`]
      : [];
  return { contrast, problems, warnings };
}

export interface CardFaceLook {
  /** CSS background when the tier has no art: a diagonal gradient of the primary colour. */
  background: string;
  /** The tier's art (a path on the API server), drawn under a scrim, or null. */
  artUrl: string | null;
  /** Darkens the art so the white text keeps its contrast whatever the picture. */
  scrim: string;
  textColor: string;
}

/** How the card face of a tier looks under the theme. */
export function cardFaceLook(theme: BrandTheme, tierCode: string): CardFaceLook {
  return {
    background: `linear-gradient(135deg, ${theme.primaryColor}, ${shade(theme.primaryColor, -0.35)})`,
    artUrl: theme.tierArt[tierCode] ?? null,
    scrim: 'linear-gradient(180deg, rgba(0,0,0,0.35), rgba(0,0,0,0.15) 45%, rgba(0,0,0,0.45))',
    textColor: '#ffffff',
  };
}

/** The navigation bar under the theme (wx.setNavigationBarColor takes only #ffffff or #000000 for the text). */
export function navigationBarLook(theme: BrandTheme): { backgroundColor: string; frontColor: '#ffffff' | '#000000' } {
  return { backgroundColor: theme.primaryColor, frontColor: '#ffffff' };
}
