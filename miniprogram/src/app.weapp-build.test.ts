import fs from 'node:fs';
import path from 'node:path';
import { TAB_PAGES } from './lib/navigation';

// The WeChat build as DevTools uploads it (dist/weapp, written by `npm run build:weapp`, which `npm test` runs
// first): the tab bar and every page it declares are there, and the tab bar obeys WeChat's rules.
const dist = path.resolve(__dirname, '../dist/weapp');

interface AppJson {
  pages: string[];
  subPackages?: Array<{ root: string; pages: string[] }>;
  tabBar?: { list: Array<{ pagePath: string; text: string; iconPath?: string; selectedIconPath?: string }> };
}

function appJson(): AppJson {
  const file = path.join(dist, 'app.json');
  if (!fs.existsSync(file)) throw new Error(`${file} not found: run npm run build:weapp -w @membercard/miniprogram first`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as AppJson;
}

describe('weapp build: tab bar and pages', () => {
  const app = appJson();
  const subPackagePages = (app.subPackages ?? []).flatMap((sub) => sub.pages.map((page) => `${sub.root}/${page}`));

  it('declares the four tabs 会员卡, 优惠券, 活动, 我的, the same pages the app switches to', () => {
    expect(app.tabBar?.list.map((tab) => [tab.text, tab.pagePath])).toEqual([
      ['会员卡', 'pages/card/index'],
      ['优惠券', 'pages/coupons/index'],
      ['活动', 'pages/activities/index'],
      ['我的', 'pages/mine/index'],
    ]);
    expect(app.tabBar!.list.map((tab) => `/${tab.pagePath}`)).toEqual(TAB_PAGES);
  });

  it('keeps every tab page in the main package, outside any sub-package root (WeChat refuses either)', () => {
    for (const tab of app.tabBar!.list) {
      expect(app.pages).toContain(tab.pagePath);
      expect(subPackagePages).not.toContain(tab.pagePath);
    }
    for (const page of app.pages) {
      expect((app.subPackages ?? []).filter((sub) => page.startsWith(`${sub.root}/`))).toEqual([]);
    }
    // The first page is the one WeChat opens: the card.
    expect(app.pages[0]).toBe('pages/card/index');
  });

  it('built every declared page (script, template and config)', () => {
    for (const page of [...app.pages, ...subPackagePages]) {
      for (const ext of ['js', 'wxml', 'json']) expect([page, ext, fs.existsSync(path.join(dist, `${page}.${ext}`))]).toEqual([page, ext, true]);
    }
  });

  it('ships each tab icon as a PNG within WeChat’s 40 KB limit, a plain and a selected one', () => {
    for (const tab of app.tabBar!.list) {
      expect(tab.iconPath).not.toEqual(tab.selectedIconPath);
      for (const icon of [tab.iconPath!, tab.selectedIconPath!]) {
        const body = fs.readFileSync(path.join(dist, icon));
        expect(body.subarray(1, 4).toString('ascii')).toBe('PNG');
        expect(body.length).toBeLessThanOrEqual(40 * 1024);
        // 81×81 px, WeChat's recommended size.
        expect([body.readUInt32BE(16), body.readUInt32BE(20)]).toEqual([81, 81]);
      }
    }
  });
});
