import { constants } from 'node:zlib';
import compress from 'koa-compress';
import type Koa from 'koa';

/**
 * Brotli or gzip for every answer worth it (JSON, and static files that have no precompressed copy), as the
 * client's Accept-Encoding allows. Dynamic answers use Brotli quality 4: near gzip -9's size at a fraction of
 * quality 11's CPU, which would cost more time than it saves on a LAN or 4G. Answers already encoded (the
 * precompressed static copies) pass through. A route that must keep its Content-Length (a download whose
 * progress the client shows) sets `ctx.compress = false`.
 */
export function compression(): Koa.Middleware {
  return compress({
    threshold: 1024,
    br: { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } },
    gzip: { level: 6 },
    deflate: false,
  });
}
