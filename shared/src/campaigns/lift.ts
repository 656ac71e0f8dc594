// Campaign lift against a holdout: the pure arithmetic, in one place for the server's results and any rollup
// that later computes them. Two comparisons, each with a 95% interval rather than a bare point estimate:
// - visit rate (share of members with at least one purchase in the window): difference of two independent
//   proportions with Newcombe's hybrid score interval (Newcombe 1998, method 10), built from Wilson intervals;
// - spend per member (fen, members without a purchase count as 0): difference of two means with Welch's
//   interval (unequal variances, Welch–Satterthwaite degrees of freedom, Student t quantile).
// Below MIN_GROUP_FOR_INTERVAL members in either group no interval is given: the answer says the sample is too small.

/** z for a two-sided 95% interval. */
export const Z_95 = 1.959963984540054;

/** Either group smaller than this gets no interval ("样本太小"): spend is skewed and the approximations need room. */
export const MIN_GROUP_FOR_INTERVAL = 30;

export interface Interval {
  low: number;
  high: number;
}

/** Wilson score interval for x successes out of n (n > 0). */
export function wilsonInterval(x: number, n: number, z = Z_95): Interval {
  if (n <= 0) throw new RangeError('wilsonInterval needs n > 0');
  const p = x / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // Clamp the rounding noise at the ends (x = 0 or x = n give exactly 0 or 1).
  return { low: x === 0 ? 0 : Math.max(0, centre - half), high: x === n ? 1 : Math.min(1, centre + half) };
}

/** p1 − p2 with Newcombe's hybrid score interval (no continuity correction). */
export function proportionDifference(x1: number, n1: number, x2: number, n2: number, z = Z_95): { diff: number; interval: Interval } {
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const a = wilsonInterval(x1, n1, z);
  const b = wilsonInterval(x2, n2, z);
  const diff = p1 - p2;
  return {
    diff,
    interval: {
      low: diff - Math.sqrt((p1 - a.low) ** 2 + (b.high - p2) ** 2),
      high: diff + Math.sqrt((a.high - p1) ** 2 + (p2 - b.low) ** 2),
    },
  };
}

/** A sample's count, mean and (n − 1) variance. */
export interface SampleSummary {
  n: number;
  mean: number;
  variance: number;
}

/** Welford's running mean and variance: one pass, numerically stable, no array of values kept. */
export class RunningSummary {
  private count = 0;
  private mu = 0;
  private m2 = 0;

  add(value: number): this {
    this.count += 1;
    const delta = value - this.mu;
    this.mu += delta / this.count;
    this.m2 += delta * (value - this.mu);
    return this;
  }

  /** Adds `times` copies of one value (members with no purchase, say) in O(1). */
  addRepeated(value: number, times: number): this {
    if (times <= 0) return this;
    // Chan et al.'s merge of a sample of identical values (mean = value, M2 = 0).
    const total = this.count + times;
    const delta = value - this.mu;
    this.mu += (delta * times) / total;
    this.m2 += (delta * delta * this.count * times) / total;
    this.count = total;
    return this;
  }

  summary(): SampleSummary {
    return { n: this.count, mean: this.mu, variance: this.count > 1 ? this.m2 / (this.count - 1) : 0 };
  }
}

export function summarize(values: readonly number[]): SampleSummary {
  const running = new RunningSummary();
  for (const value of values) running.add(value);
  return running.summary();
}

/** mean(a) − mean(b) with Welch's interval; `df` is the Welch–Satterthwaite degrees of freedom (both n ≥ 2). */
export function meanDifference(a: SampleSummary, b: SampleSummary, confidence = 0.95): { diff: number; interval: Interval; df: number } {
  if (a.n < 2 || b.n < 2) throw new RangeError('meanDifference needs at least two values per group');
  const diff = a.mean - b.mean;
  const va = a.variance / a.n;
  const vb = b.variance / b.n;
  const se = Math.sqrt(va + vb);
  if (se === 0) return { diff, interval: { low: diff, high: diff }, df: a.n + b.n - 2 };
  const df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
  const t = studentTQuantile(1 - (1 - confidence) / 2, df);
  return { diff, interval: { low: diff - t * se, high: diff + t * se }, df };
}

// ---- Student t quantile (through the regularized incomplete beta function) ----

function logGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for x > 0.
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let sum = c[0]!;
  for (let i = 1; i < 9; i++) sum += c[i]! / (y + i);
  const t = y + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Continued fraction for the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

/** I_x(a, b), the regularized incomplete beta function. */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T ≤ t) for Student's t with df degrees of freedom (df may be fractional, as Welch's is). */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The t with P(T ≤ t) = p, by bisection on the CDF (monotone; 200 halvings are far below double precision). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) throw new RangeError('studentTQuantile needs 0 < p < 1 and df > 0');
  let low = -1e6;
  let high = 1e6;
  for (let i = 0; i < 200 && high - low > 1e-12; i++) {
    const mid = (low + high) / 2;
    if (studentTCdf(mid, df) < p) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

// ---- one campaign's comparison ----

/** What one group (those who got the coupon, or the holdout) did in the window. */
export interface GroupOutcome {
  members: number;
  /** Members with at least one purchase in the window. */
  visitors: number;
  /** Spend per member in fen, members without purchases counted as 0. */
  spend: SampleSummary;
}

export interface CampaignLift {
  /** Visit rates and their difference (treated − holdout), as shares (0.032 = 3.2 percentage points). */
  visitRate: { treated: number | null; holdout: number | null; diff: number | null; interval: Interval | null };
  /** Mean spend per member in fen and the difference (treated − holdout). */
  spendPerMember: { treatedFen: number | null; holdoutFen: number | null; diffFen: number | null; interval: Interval | null };
  /** Either group is below MIN_GROUP_FOR_INTERVAL: the point estimates stand, without an interval. */
  tooSmall: boolean;
}

/** The targeted group's lift over the holdout, with 95% intervals when both groups are large enough. */
export function campaignLift(treated: GroupOutcome, holdout: GroupOutcome, minGroup = MIN_GROUP_FOR_INTERVAL): CampaignLift {
  const rate = (g: GroupOutcome) => (g.members > 0 ? g.visitors / g.members : null);
  const mean = (g: GroupOutcome) => (g.members > 0 ? g.spend.mean : null);
  const tRate = rate(treated);
  const hRate = rate(holdout);
  const tMean = mean(treated);
  const hMean = mean(holdout);
  const tooSmall = treated.members < Math.max(2, minGroup) || holdout.members < Math.max(2, minGroup);
  const both = tRate !== null && hRate !== null;
  return {
    visitRate: {
      treated: tRate,
      holdout: hRate,
      diff: both ? tRate - hRate : null,
      interval: both && !tooSmall ? proportionDifference(treated.visitors, treated.members, holdout.visitors, holdout.members).interval : null,
    },
    spendPerMember: {
      treatedFen: tMean,
      holdoutFen: hMean,
      diffFen: tMean !== null && hMean !== null ? tMean - hMean : null,
      interval: !tooSmall ? meanDifference(treated.spend, holdout.spend).interval : null,
    },
    tooSmall,
  };
}
