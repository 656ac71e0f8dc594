import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import helmet from 'helmet';
import type Koa from 'koa';

// Security headers on every answer (the console under /admin/, the H5 app under /h5/, the API and the demo's
// emulator), set through helmet. The Content-Security-Policy is the one both built apps run under:
// - scripts only from this origin, plus the sha256 of a page's own inline scripts (the Taro H5 page's
//   root-font-size script), which staticSite.ts registers with allowInlineScripts for the page it serves;
// - styles from this origin and inline: antd writes its CSS-in-JS into <style> elements at run time and
//   Taro sets style attributes, neither with a nonce;
// - images also as data: and blob: (QR codes and previews drawn in the page); fetch/XHR only to this origin;
// - no plugins, no <base> elsewhere, forms post only here, and no framing (frame-ancestors 'none', with
//   X-Frame-Options DENY for browsers that predate frame-ancestors).
// HSTS and upgrade-insecure-requests only when PUBLIC_BASE_URL is https: over plain http (the demo,
// localhost) they would send the browser to an https port nobody listens on.

const inlineScriptHashes = new WeakMap<ServerResponse, string[]>();

/** Lets this response's page run the inline scripts whose CSP sources (`'sha256-…'`) are given. */
export function allowInlineScripts(ctx: Koa.Context, sources: string[]): void {
  inlineScriptHashes.set(ctx.res, sources);
}

/** The CSP sources of the inline scripts in an HTML page (`<script>` elements without `src`). */
export function inlineScriptSources(html: string): string[] {
  const sources: string[] = [];
  for (const match of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (/\bsrc\s*=/i.test(match[1]!) || !match[2]) continue;
    sources.push(`'sha256-${createHash('sha256').update(match[2], 'utf8').digest('base64')}'`);
  }
  return sources;
}

export interface SecurityHeaderOptions {
  /** PUBLIC_BASE_URL is https: browsers are told to use https only (HSTS). */
  https: boolean;
}

export function securityHeaders(options: SecurityHeaderOptions): Koa.Middleware {
  const directives: Record<string, Array<string | ((req: unknown, res: ServerResponse) => string)>> = {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'", (_req, res) => (inlineScriptHashes.get(res) ?? []).join(' ')],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:', 'blob:'],
    fontSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  };
  if (options.https) directives.upgradeInsecureRequests = [];
  const setHeaders = helmet({
    contentSecurityPolicy: { useDefaults: false, directives },
    strictTransportSecurity: options.https ? { maxAge: 365 * 24 * 3600, includeSubDomains: false } : false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
  });
  // Every answer without inline scripts of its own (the API's, static files) gets the same headers: helmet works
  // them out once here, and each such answer only copies them, rather than helmet building the policy per request.
  const plain = headersFor(setHeaders);
  return async (ctx, next) => {
    // After the rest of the chain: the page served decides its inline-script hashes. Koa writes the answer
    // only once every middleware has returned, so headers set here still go out.
    await next();
    if (ctx.res.headersSent) return;
    if (!inlineScriptHashes.has(ctx.res)) {
      for (const name of plain.removed) ctx.res.removeHeader(name);
      for (const [name, value] of plain.set) ctx.res.setHeader(name, value);
      return;
    }
    await new Promise<void>((resolve, reject) => setHeaders(ctx.req, ctx.res, (err?: unknown) => (err ? reject(err) : resolve())));
  };
}

/** What a helmet middleware does to an answer with no inline scripts: the headers it sets and those it removes. */
function headersFor(setHeaders: ReturnType<typeof helmet>): { set: Array<[string, string | number | readonly string[]]>; removed: string[] } {
  const set: Array<[string, string | number | readonly string[]]> = [];
  const removed: string[] = [];
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => set.push([name, value]),
    removeHeader: (name: string) => removed.push(name),
    getHeader: () => undefined,
  } as unknown as ServerResponse;
  let done = false;
  setHeaders({} as never, recorder, (err?: unknown) => {
    if (err) throw err;
    done = true;
  });
  if (!done) throw new Error('helmet did not finish synchronously');
  return { set, removed };
}
