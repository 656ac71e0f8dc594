// Pure shaping of dashboard and campaign numbers into chart series, kept apart from the chart library
// so it can be unit tested and the library stays in its own lazily loaded chunk.

export interface ParetoPoint {
  memberShare: number;
  spendShare: number;
}

/** Sorted, clamped to 0..1, and anchored at (0,0) and (1,1) so the curve always spans the chart. */
export function normalizePareto(points: ReadonlyArray<ParetoPoint>): ParetoPoint[] {
  const clamp = (value: number) => Math.min(1, Math.max(0, value));
  const cleaned = points
    .filter((point) => Number.isFinite(point.memberShare) && Number.isFinite(point.spendShare))
    .map((point) => ({ memberShare: clamp(point.memberShare), spendShare: clamp(point.spendShare) }))
    .sort((a, b) => a.memberShare - b.memberShare);
  if (cleaned.length === 0) return [];
  if (cleaned[0]!.memberShare > 0) cleaned.unshift({ memberShare: 0, spendShare: 0 });
  if (cleaned[cleaned.length - 1]!.memberShare < 1) cleaned.push({ memberShare: 1, spendShare: 1 });
  return cleaned;
}

/** Share of the push that is done: members handled (issued or failed) over members targeted. */
export function progressPercent(progress: { targeted: number; issued: number; failed: number }): number {
  if (progress.targeted <= 0) return 0;
  return Math.min(100, Math.round(((progress.issued + progress.failed) / progress.targeted) * 100));
}
