/**
 * An ordered multiset kept as a list of small sorted leaves (a two-level B-tree), so inserts and
 * removals move at most one leaf's elements and lookups are two binary searches.
 */
const MAX_LEAF = 512;

export class SortedEntries<E> {
  private leaves: E[][] = [];
  private count = 0;

  constructor(private readonly compare: (a: E, b: E) => number) {}

  get size(): number {
    return this.count;
  }

  /** Index of the first leaf whose last element is not before `isBefore` (or the last leaf). */
  private leafFor(isBefore: (e: E) => boolean): number {
    let lo = 0;
    let hi = this.leaves.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const leaf = this.leaves[mid];
      if (isBefore(leaf[leaf.length - 1])) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private static firstNotBefore<E>(leaf: E[], isBefore: (e: E) => boolean): number {
    let lo = 0;
    let hi = leaf.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (isBefore(leaf[mid])) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(entry: E): void {
    this.count++;
    if (this.leaves.length === 0) {
      this.leaves.push([entry]);
      return;
    }
    const isBefore = (e: E) => this.compare(e, entry) < 0;
    const li = this.leafFor(isBefore);
    const leaf = this.leaves[li];
    leaf.splice(SortedEntries.firstNotBefore(leaf, isBefore), 0, entry);
    if (leaf.length > MAX_LEAF) this.leaves.splice(li + 1, 0, leaf.splice(leaf.length >> 1));
  }

  /** Removes one element equal (compare = 0) to `entry`; returns whether one was found. */
  remove(entry: E): boolean {
    if (this.leaves.length === 0) return false;
    const isBefore = (e: E) => this.compare(e, entry) < 0;
    const li = this.leafFor(isBefore);
    const leaf = this.leaves[li];
    const pos = SortedEntries.firstNotBefore(leaf, isBefore);
    if (pos >= leaf.length || this.compare(leaf[pos], entry) !== 0) return false;
    leaf.splice(pos, 1);
    if (leaf.length === 0) this.leaves.splice(li, 1);
    this.count--;
    return true;
  }

  /** Yields elements in order, starting at the first one for which `isBefore` is false. */
  *from(isBefore: (e: E) => boolean): Generator<E> {
    if (this.leaves.length === 0) return;
    let li = this.leafFor(isBefore);
    let pos = SortedEntries.firstNotBefore(this.leaves[li], isBefore);
    while (li < this.leaves.length) {
      const leaf = this.leaves[li];
      for (; pos < leaf.length; pos++) yield leaf[pos];
      li++;
      pos = 0;
    }
  }
}
