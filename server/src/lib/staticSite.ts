import fs from 'node:fs';
import path from 'node:path';
import type Koa from 'koa';
import send from 'koa-send';
import { allowInlineScripts, inlineScriptSources } from './securityHeaders';

/**
 * Serves a built single-page app under a path prefix (`/admin/`, `/h5/`): files as they are, any other
 * path under the prefix gets index.html so client-side routes survive a reload. Before the app is built,
 * a short page says how to build it instead of a bare 404. The page's own inline scripts (Taro's H5
 * root-font-size script) are allowed by hash in its Content-Security-Policy, read again when a rebuild
 * changes index.html. Text assets are answered from the .br/.gz copies `npm run build` writes beside them
 * (scripts/precompress.mjs) when the client accepts them; anything else is compressed on the fly by the
 * app's compression middleware.
 */
export function staticSite(prefix: string, root: string, title: string): Koa.Middleware {
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  let page: { stamp: string; sources: string[] } | null = null;
  const pageScriptSources = (index: string): string[] => {
    const stat = fs.statSync(index);
    const stamp = `${stat.mtimeMs}:${stat.size}`;
    if (page?.stamp !== stamp) page = { stamp, sources: inlineScriptSources(fs.readFileSync(index, 'utf8')) };
    return page.sources;
  };
  return async (ctx, next) => {
    if (ctx.path === base.slice(0, -1)) return ctx.redirect(base);
    if (!ctx.path.startsWith(base) || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    const index = path.join(root, 'index.html');
    if (!fs.existsSync(index)) {
      ctx.type = 'html';
      ctx.body = `<!doctype html><meta charset="utf-8"><title>${title}</title><p>${title} has not been built yet: run <code>npm run build</code>.</p>`;
      return;
    }
    const relative = ctx.path.slice(base.length);
    const file = relative && fs.existsSync(path.join(root, relative)) ? relative : 'index.html';
    if (file === 'index.html') allowInlineScripts(ctx, pageScriptSources(index));
    const hashed = /\.[0-9a-f]{8,}\./i.test(file) || file.startsWith('assets/');
    ctx.vary('Accept-Encoding');
    await send(ctx, file, {
      root,
      maxage: hashed ? 365 * 24 * 3600_000 : 0,
      immutable: hashed,
      brotli: hasFreshCopy(path.join(root, file), '.br'),
      gzip: hasFreshCopy(path.join(root, file), '.gz'),
    });
  };
}

/** A precompressed copy is used only if written after its original: a rebuild that skipped precompressing
 * must not serve the previous build's page. */
function hasFreshCopy(file: string, extension: '.br' | '.gz'): boolean {
  try {
    return fs.statSync(`${file}${extension}`).mtimeMs >= fs.statSync(file).mtimeMs;
  } catch {
    return false;
  }
}
