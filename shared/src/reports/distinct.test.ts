import { addToSketch, emptySketch, estimateDistinct, mergeSketch, sketchOf } from './distinct';

const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `member-${from + i}`);

describe('distinct counts from sketches', () => {
  it('is exact or nearly so for a store’s day, and repeats count once', () => {
    expect(estimateDistinct(emptySketch())).toBe(0);
    expect(estimateDistinct(sketchOf(['a']))).toBe(1);
    const sketch = sketchOf(ids(0, 300));
    for (const id of ids(0, 300)) addToSketch(sketch, id);
    expect(Math.abs(estimateDistinct(sketch) - 300)).toBeLessThanOrEqual(6);
  });

  it('merged days count a member who bought on several days once', () => {
    // 30 days of 1,000 buyers each, drawn from 5,000 members: the union is what a range reports
    const days = Array.from({ length: 30 }, (_, d) => sketchOf(Array.from({ length: 1000 }, (_, i) => `member-${(d * 397 + i * 7) % 5000}`)));
    const union = emptySketch();
    for (const day of days) mergeSketch(union, day);
    const truth = new Set(Array.from({ length: 30 }, (_, d) => Array.from({ length: 1000 }, (_, i) => `member-${(d * 397 + i * 7) % 5000}`)).flat()).size;
    expect(Math.abs(estimateDistinct(union) - truth) / truth).toBeLessThan(0.05);
  });

  it('stays within a few percent at brand scale', () => {
    const truth = 200_000;
    const estimate = estimateDistinct(sketchOf(ids(0, truth)));
    expect(Math.abs(estimate - truth) / truth).toBeLessThan(0.05);
  });
});
