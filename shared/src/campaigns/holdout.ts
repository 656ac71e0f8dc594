// Holdout assignment: whether a targeted member is held out of a campaign (gets nothing) is a pure function of
// the campaign's random seed and the member's id. The same member always draws the same number for the same
// campaign, so a push that is retried, resumed after a crash or run on another instance holds out exactly the
// same members; the server also records each member's group, so the split can be audited afterwards.

/** The share of the audience the console proposes to hold out. */
export const DEFAULT_HOLDOUT_SHARE = 0.1;
/** At most half the audience may be held out. */
export const MAX_HOLDOUT_SHARE = 0.5;

/**
 * A 53-bit string hash (cyrb53: two 32-bit multiply–xor lanes mixed at the end), well spread for ids that
 * differ in a few characters, as ObjectIds of members created together do.
 */
function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** The member's draw for this campaign: uniform on [0, 1), fixed by (seed, memberId). */
export function holdoutDraw(seed: string, memberId: string): number {
  return hash53(`${seed}:${memberId}`) / 2 ** 53;
}

/** Held out when the draw falls below the share (share 0: nobody; share 0.5: about half). */
export function isHeldOut(seed: string, memberId: string, share: number): boolean {
  return share > 0 && holdoutDraw(seed, memberId) < share;
}
