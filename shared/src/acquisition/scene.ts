// Entry codes: what a store, staff or campaign QR code tells the mini-program when it opens it.
// A mini-program code carries a `scene` of at most 32 characters (wechat.md §5); a poster's ordinary
// URL code carries the same pairs in its query string (WeChat hands the URL over as `q`). Pairs:
//   s=<store code>   u=<staff id>   c=<campaign id>
// Staff and campaign ids are 12-byte object ids written as 16 base64url characters, so a staff code
// `s=SH01&u=AAECAwQFBgcICQoL` fits. Staff and campaign are not combined (that would not fit).

import { STORE_CODE_PATTERN } from '../common';

export interface EntryTarget {
  storeId?: string;
  staffId?: string;
  campaignId?: string;
}

export const SCENE_MAX_LENGTH = 32;
const OBJECT_ID_HEX = /^[0-9a-f]{24}$/;
const SHORT_ID = /^[A-Za-z0-9_-]{16}$/;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** 24 hex digits → 16 base64url characters (pure, so the mini-program and tests can use it too). */
export function shortObjectId(hex: string): string {
  if (!OBJECT_ID_HEX.test(hex)) throw new Error(`not an object id: ${hex}`);
  let out = '';
  for (let i = 0; i < 24; i += 6) {
    const bits = parseInt(hex.slice(i, i + 6), 16);
    for (let shift = 18; shift >= 0; shift -= 6) out += BASE64URL[(bits >> shift) & 63];
  }
  return out;
}

export function objectIdFromShort(short: string): string | null {
  if (!SHORT_ID.test(short)) return null;
  let hex = '';
  for (let i = 0; i < 16; i += 4) {
    let bits = 0;
    for (let j = 0; j < 4; j++) bits = (bits << 6) | BASE64URL.indexOf(short[i + j]!);
    hex += bits.toString(16).padStart(6, '0');
  }
  return hex;
}

/** The scene for a target; null when it cannot fit in 32 characters. */
export function entryScene(target: EntryTarget): string | null {
  if (target.staffId && target.campaignId) return null;
  const pairs: string[] = [];
  if (target.storeId) pairs.push(`s=${target.storeId}`);
  if (target.staffId) pairs.push(`u=${shortObjectId(target.staffId)}`);
  if (target.campaignId) pairs.push(`c=${shortObjectId(target.campaignId)}`);
  let scene = pairs.join('&');
  // A staff member's store follows from the staff record, so a long store code may be left out.
  if (scene.length > SCENE_MAX_LENGTH && target.staffId) scene = `u=${shortObjectId(target.staffId)}`;
  return scene && scene.length <= SCENE_MAX_LENGTH ? scene : null;
}

/**
 * Reads the pairs of a scene or of a URL's query string. Unknown keys are ignored (codes of a later
 * version); a known key with a malformed value makes the whole entry unreadable (null).
 */
export function parseEntryPairs(text: string): EntryTarget | null {
  const target: EntryTarget = {};
  for (const pair of text.split('&')) {
    if (!pair) continue;
    const at = pair.indexOf('=');
    const key = at < 0 ? pair : pair.slice(0, at);
    const value = at < 0 ? '' : pair.slice(at + 1);
    if (key === 's') {
      if (!STORE_CODE_PATTERN.test(value)) return null;
      target.storeId = value;
    } else if (key === 'u' || key === 'c') {
      const id = objectIdFromShort(value);
      if (!id) return null;
      if (key === 'u') target.staffId = id;
      else target.campaignId = id;
    }
  }
  return target.storeId || target.staffId || target.campaignId ? target : null;
}

/** The entry a poster URL carries (`q` as WeChat passes it, already decoded once). */
export function parseEntryUrl(url: string): EntryTarget | null {
  const query = url.indexOf('?');
  if (query < 0) return null;
  const hash = url.indexOf('#', query);
  const text = url.slice(query + 1, hash < 0 ? undefined : hash);
  // URL query values may be percent-encoded; scene values never need it.
  let decoded: string;
  try {
    decoded = text.split('&').map((pair) => pair.split('=').map((part) => decodeURIComponent(part.replace(/\+/g, ' '))).join('=')).join('&');
  } catch {
    return null;
  }
  return parseEntryPairs(decoded);
}
