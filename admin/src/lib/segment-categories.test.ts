import { describeSegment, segmentFromForm, segmentToForm } from './segment';

const t = (zh: string) => zh;

describe('the segment form’s category conditions', () => {
  it('given a category and days, then the segment has "bought within N days"; a category alone is no condition yet', () => {
    expect(segmentFromForm({ boughtCategory: 'DIAPERS', boughtCategoryDays: 30 })).toEqual({ boughtCategory: { category: 'DIAPERS', withinDays: 30 } });
    expect(segmentFromForm({ boughtCategory: 'DIAPERS', boughtCategoryDays: null })).toEqual({});
    expect(segmentFromForm({ boughtCategory: null, boughtCategoryDays: 30 })).toEqual({});
  });

  it('given a category and yuan, then the spend is in fen; the form reads it back the same', () => {
    const segment = segmentFromForm({ spendCategory: 'WINE', spendCategoryYuan: 500.5 });
    expect(segment).toEqual({ categorySpend: { category: 'WINE', minFen: 50_050 } });
    expect(segmentFromForm(segmentToForm(segment))).toEqual(segment);
  });

  it('given both, then each reads as a phrase with the category’s name and money as ¥', () => {
    const names = { category: (code: string) => ({ DIAPERS: '纸尿裤', WINE: '葡萄酒' })[code] ?? code };
    expect(describeSegment({ boughtCategory: { category: 'DIAPERS', withinDays: 30 }, categorySpend: { category: 'WINE', minFen: 173_150 } }, t, names)).toEqual([
      '30天内买过「纸尿裤」',
      '12个月「葡萄酒」消费 ≥ ¥1,731.50',
    ]);
  });
});
