import fs from 'node:fs';

// The pages a published mini-program has are the ones its app.json lists (the main package's `pages` and each
// sub-package's `root` + `pages`). The emulator refuses subscribe messages and mini-program codes naming any
// other page (41030), as WeChat does; the list is read from the mini-program's own app config, the source of
// the app.json its build emits, so the two cannot drift.

const QUOTED = /['"]([^'"]+)['"]/g;
const strings = (list: string) => [...list.matchAll(QUOTED)].map((m) => m[1]!);

/** Pages named by an app config (`app.config.ts` text or app.json text), sub-package pages with their root. */
export function pagesOfAppConfig(source: string): string[] {
  const subPackagesAt = source.search(/\bsub[Pp]ackages\b/);
  const main = /\bpages['"]?\s*:\s*\[([^\]]*)\]/.exec(subPackagesAt >= 0 ? source.slice(0, subPackagesAt) : source);
  const pages = main ? strings(main[1]!) : [];
  if (subPackagesAt >= 0) {
    const subPackage = /\broot['"]?\s*:\s*['"]([^'"]+)['"]\s*,\s*['"]?pages['"]?\s*:\s*\[([^\]]*)\]/g;
    for (const match of source.slice(subPackagesAt).matchAll(subPackage)) {
      const root = match[1]!.replace(/\/$/, '');
      pages.push(...strings(match[2]!).map((page) => `${root}/${page}`));
    }
  }
  return pages;
}

/** The pages of the app config at `file`; throws if it names none (a path or format mistake must not silently allow every page). */
export function readMiniProgramPages(file: string): string[] {
  const pages = pagesOfAppConfig(fs.readFileSync(file, 'utf8'));
  if (pages.length === 0) throw new Error(`No pages found in ${file}`);
  return pages;
}
