import { entryScene, objectIdFromShort, parseEntryPairs, parseEntryUrl, shortObjectId } from './scene';

const STAFF = '65a1b2c3d4e5f60718293a4b';
const CAMPAIGN = 'ffffffffffffffffffffffff';

describe('entry scenes', () => {
  it('writes an object id in 16 base64url characters and reads it back', () => {
    expect(shortObjectId(STAFF)).toHaveLength(16);
    expect(objectIdFromShort(shortObjectId(STAFF))).toBe(STAFF);
    expect(objectIdFromShort(shortObjectId(CAMPAIGN))).toBe(CAMPAIGN);
    expect(objectIdFromShort('too-short')).toBeNull();
    expect(() => shortObjectId('SH01')).toThrow();
  });

  it('given a store, staff member or campaign, when encoded, then the scene fits 32 characters and parses back', () => {
    for (const target of [{ storeId: 'SH01' }, { storeId: 'SH01', staffId: STAFF }, { campaignId: CAMPAIGN }, { storeId: 'BJ01', campaignId: CAMPAIGN }]) {
      const scene = entryScene(target)!;
      expect(scene.length).toBeLessThanOrEqual(32);
      expect(parseEntryPairs(scene)).toEqual(target);
    }
  });

  it('leaves a long store code out of a staff scene (the staff record names the store); refuses staff with campaign', () => {
    expect(entryScene({ storeId: 'ABCDEFGHIJKLMNOP', staffId: STAFF })).toBe(`u=${shortObjectId(STAFF)}`);
    expect(entryScene({ staffId: STAFF, campaignId: CAMPAIGN })).toBeNull();
  });

  it('ignores unknown keys but refuses malformed known ones', () => {
    expect(parseEntryPairs('s=SH01&v=2')).toEqual({ storeId: 'SH01' });
    expect(parseEntryPairs('s=sh01')).toBeNull();
    expect(parseEntryPairs('u=x')).toBeNull();
    expect(parseEntryPairs('v=2')).toBeNull();
  });

  it('reads a poster URL’s query, percent-encoded or not, and ignores a fragment', () => {
    expect(parseEntryUrl('https://brand.example/mp/entry?s=SH01')).toEqual({ storeId: 'SH01' });
    expect(parseEntryUrl(`https://brand.example/mp/entry?s=%53H01&u=${shortObjectId(STAFF)}#x`)).toEqual({ storeId: 'SH01', staffId: STAFF });
    expect(parseEntryUrl('https://brand.example/mp/entry?s=BJ01#top')).toEqual({ storeId: 'BJ01' });
    expect(parseEntryUrl('https://brand.example/mp/entry')).toBeNull();
  });
});
