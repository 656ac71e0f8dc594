import { DEFAULT_HOLDOUT_SHARE, holdoutDraw, isHeldOut } from './holdout';
import {
  campaignLift,
  meanDifference,
  proportionDifference,
  RunningSummary,
  studentTQuantile,
  summarize,
  wilsonInterval,
} from './lift';

// Textbook examples: Wilson and Newcombe intervals from Newcombe (1998, Stat Med 17: 857–872 and 873–890),
// Student t quantiles from the standard table, Welch's interval from R's t.test(extra ~ group, data = sleep).

describe('wilsonInterval', () => {
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ])('given %i of %i, then the 95%% interval is %f to %f (Newcombe 1998, single proportion)', (x, n, low, high) => {
    const interval = wilsonInterval(x, n);
    expect(interval.low).toBeCloseTo(low, 4);
    expect(interval.high).toBeCloseTo(high, 4);
  });
});

describe('proportionDifference (Newcombe hybrid score, method 10)', () => {
  it.each([
    [56, 70, 48, 80, 0.0524, 0.3339],
    [9, 10, 3, 10, 0.1705, 0.809],
    [6, 7, 2, 7, 0.0582, 0.8062],
    [5, 56, 0, 29, -0.0381, 0.1926],
  ])('given %i/%i vs %i/%i, then the interval is %f to %f', (x1, n1, x2, n2, low, high) => {
    const { diff, interval } = proportionDifference(x1, n1, x2, n2);
    expect(diff).toBeCloseTo(x1 / n1 - x2 / n2, 12);
    expect(interval.low).toBeCloseTo(low, 4);
    expect(interval.high).toBeCloseTo(high, 4);
  });
});

describe('studentTQuantile', () => {
  it.each([
    [1, 12.706],
    [5, 2.571],
    [10, 2.228],
    [30, 2.042],
    [1000, 1.962],
  ])('given df %i, then the 97.5%% quantile is %f', (df, t) => {
    expect(studentTQuantile(0.975, df)).toBeCloseTo(t, 3);
  });
});

describe('meanDifference (Welch)', () => {
  const group1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
  const group2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

  it('given R’s sleep data, then the difference, df and interval match t.test', () => {
    const { diff, df, interval } = meanDifference(summarize(group1), summarize(group2));
    expect(diff).toBeCloseTo(-1.58, 10);
    expect(df).toBeCloseTo(17.776, 3);
    expect(interval.low).toBeCloseTo(-3.3654832, 6);
    expect(interval.high).toBeCloseTo(0.2054832, 6);
  });

  it('given no spread at all, then the interval is the point', () => {
    expect(meanDifference(summarize([5, 5, 5]), summarize([2, 2]))).toEqual({ diff: 3, interval: { low: 3, high: 3 }, df: 3 });
  });

  it('given zeros added in bulk, then the running summary equals adding them one by one', () => {
    const bulk = new RunningSummary().add(1200).add(50).addRepeated(0, 7).add(300).summary();
    const oneByOne = summarize([1200, 50, 0, 0, 0, 0, 0, 0, 0, 300]);
    expect(bulk.n).toBe(oneByOne.n);
    expect(bulk.mean).toBeCloseTo(oneByOne.mean, 9);
    expect(bulk.variance).toBeCloseTo(oneByOne.variance, 6);
  });
});

describe('campaignLift', () => {
  const group = (members: number, visitors: number, spend: number[]) => ({
    members,
    visitors,
    spend: summarize([...spend, ...Array<number>(members - spend.length).fill(0)]),
  });

  it('given large enough groups, then both differences come with intervals around them', () => {
    const lift = campaignLift(group(900, 90, Array(90).fill(10_000)), group(100, 5, Array(5).fill(8_000)));
    expect(lift.tooSmall).toBe(false);
    expect(lift.visitRate.diff).toBeCloseTo(0.1 - 0.05, 12);
    expect(lift.visitRate.interval!.low).toBeLessThan(0.05);
    expect(lift.visitRate.interval!.high).toBeGreaterThan(0.05);
    expect(lift.spendPerMember.diffFen).toBeCloseTo(1000 - 400, 9);
    expect(lift.spendPerMember.interval!.low).toBeLessThan(600);
    expect(lift.spendPerMember.interval!.high).toBeGreaterThan(600);
  });

  it('given a holdout below the minimum, then the point estimates stand and no interval is given', () => {
    const lift = campaignLift(group(900, 90, Array(90).fill(10_000)), group(12, 1, [5_000]));
    expect(lift.tooSmall).toBe(true);
    expect(lift.visitRate.diff).toBeCloseTo(0.1 - 1 / 12, 12);
    expect(lift.visitRate.interval).toBeNull();
    expect(lift.spendPerMember.interval).toBeNull();
  });

  it('given an empty holdout, then there is no difference to state', () => {
    const lift = campaignLift(group(50, 5, [100]), { members: 0, visitors: 0, spend: summarize([]) });
    expect(lift).toMatchObject({ tooSmall: true, visitRate: { holdout: null, diff: null, interval: null }, spendPerMember: { holdoutFen: null, diffFen: null } });
  });
});

describe('holdout assignment', () => {
  const ids = Array.from({ length: 10_000 }, (_, i) => `65a1b2c3d4e5f6${i.toString(16).padStart(10, '0')}`);

  it('given the same seed and member, then the draw is the same every time, and differs by seed', () => {
    expect(holdoutDraw('seed-a', ids[7]!)).toBe(holdoutDraw('seed-a', ids[7]!));
    const a = ids.slice(0, 200).map((id) => isHeldOut('seed-a', id, 0.5));
    const b = ids.slice(0, 200).map((id) => isHeldOut('seed-b', id, 0.5));
    expect(a).not.toEqual(b);
  });

  it.each([0.05, DEFAULT_HOLDOUT_SHARE, 0.3, 0.5])('given share %f over 10,000 sequential ids, then the held-out share is within 4 standard errors', (share) => {
    const held = ids.filter((id) => isHeldOut('campaign-seed', id, share)).length / ids.length;
    const se = Math.sqrt((share * (1 - share)) / ids.length);
    expect(Math.abs(held - share)).toBeLessThan(4 * se);
  });

  it('given share 0, then nobody is held out; draws lie in [0, 1)', () => {
    expect(ids.some((id) => isHeldOut('s', id, 0))).toBe(false);
    for (const id of ids.slice(0, 1000)) {
      const draw = holdoutDraw('s', id);
      expect(draw).toBeGreaterThanOrEqual(0);
      expect(draw).toBeLessThan(1);
    }
  });
});
