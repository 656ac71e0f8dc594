/**
 * Long reads in time slices. Outside transactions and snapshot reads, an aggregation's work (the scan, and every
 * stage after it) stops when a slice of a few milliseconds has passed and lets the event loop serve other
 * connections before it goes on, so a counter's point read waits for at most one slice instead of a whole
 * `$group` or `$sort` over the collection. Inside a transaction or a snapshot read the same code runs without
 * pausing (a paused read could see later commits).
 */

/** Work between two pauses. A point read behind a long aggregation waits about this long. */
export const SLICE_MS = 2;

/** Keeps the time of the current slice; `due()` is cheap enough to call once per document. */
export class Slicer {
  private sliceStart = performance.now();
  /** Pauses taken, and the longest stretch of work between two of them (for benchmarks and tests). */
  pauses = 0;
  longestMs = 0;

  constructor(readonly mayPause: boolean, private readonly sliceMs = SLICE_MS) {}

  /** Whether the slice is used up (never inside a transaction or snapshot read). */
  due(): boolean {
    return this.mayPause && performance.now() - this.sliceStart >= this.sliceMs;
  }

  /** Lets other connections' commands run, then starts a new slice. */
  async pause(): Promise<void> {
    const worked = performance.now() - this.sliceStart;
    if (worked > this.longestMs) this.longestMs = worked;
    this.pauses++;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sliceStart = performance.now();
  }

  /** `pause()` when the slice is used up; call it in loops (`if (slicer.due()) await slicer.pause()` inline is cheaper). */
  async check(): Promise<void> {
    if (this.due()) await this.pause();
  }
}

/** A slicer that never pauses: for transactions and snapshot reads, and for callers that must not yield. */
export const neverPause = (): Slicer => new Slicer(false);

/** Runs of this many elements are sorted natively before they are merged in slices. */
const RUN = 256;

/**
 * A stable sort in slices: runs sorted with Array.prototype.sort (stable), then merged bottom-up, pausing between
 * steps when the slice is used up. Same order as `items.slice().sort(cmp)`.
 */
export async function sortInSlices<T>(items: T[], cmp: (a: T, b: T) => number, slicer: Slicer): Promise<T[]> {
  const n = items.length;
  let src = items.slice();
  if (n <= RUN) return src.sort(cmp);
  for (let start = 0; start < n; start += RUN) {
    const run = src.slice(start, start + RUN).sort(cmp);
    for (let i = 0; i < run.length; i++) src[start + i] = run[i];
    if (slicer.due()) await slicer.pause();
  }
  let dst = new Array<T>(n);
  for (let width = RUN; width < n; width *= 2) {
    for (let left = 0; left < n; left += 2 * width) {
      const mid = Math.min(left + width, n);
      const right = Math.min(left + 2 * width, n);
      let i = left;
      let j = mid;
      let k = left;
      while (i < mid && j < right) {
        // stability: an element of the left run goes first on ties
        dst[k++] = cmp(src[j], src[i]) < 0 ? src[j++] : src[i++];
        if ((k & 1023) === 0 && slicer.due()) await slicer.pause();
      }
      while (i < mid) dst[k++] = src[i++];
      while (j < right) dst[k++] = src[j++];
    }
    [src, dst] = [dst, src];
    if (slicer.due()) await slicer.pause();
  }
  return src;
}
