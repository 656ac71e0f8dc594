/**
 * An ordered multiset kept as a list of small sorted leaves (a two-level B-tree), so inserts and
 * removals move at most one leaf's elements and lookups are two binary searches.
 */
const MAX_LEAF = 512;

export class SortedEntries<E> {
  private leaves: E[][] = [];
  private count = 0;
  /** Bumped by every insert and removal, so a paused walk knows its position may have shifted. */
  private mutations = 0;
  /**
   * Leaves a snapshot being written still reads (see `frozenLeaves`): a change to one of them first replaces it
   * with a copy. Weak, so a leaf dropped since is not kept alive by it.
   */
  private frozen?: WeakSet<E[]>;

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

  /** Replaces the contents with `entries` (in any order), sorted once instead of inserted one by one. */
  load(entries: E[]): void {
    entries.sort(this.compare);
    this.leaves = [];
    for (let i = 0; i < entries.length; i += MAX_LEAF / 2) this.leaves.push(entries.slice(i, i + MAX_LEAF / 2));
    this.count = entries.length;
    this.mutations++;
  }

  /** Replaces the contents with `sorted`, which must already be in order (a snapshot's index section). */
  loadSorted(sorted: E[]): void {
    this.leaves = [];
    for (let i = 0; i < sorted.length; i += MAX_LEAF / 2) this.leaves.push(sorted.slice(i, i + MAX_LEAF / 2));
    this.count = sorted.length;
    this.mutations++;
  }

  /**
   * The elements as they are now, in order, as a list of leaves that later changes leave untouched (copy on
   * write: a leaf is copied when it is first changed after this). Costs a copy of the list of leaves, not of
   * the elements, so a snapshot can take every index at its cut and write it out while writes go on.
   */
  frozenLeaves(): readonly (readonly E[])[] {
    this.frozen = new WeakSet(this.leaves);
    return this.leaves.slice();
  }

  /** Leaf `li`, copied first if a snapshot still reads it. */
  private ownLeaf(li: number): E[] {
    const leaf = this.leaves[li];
    if (!this.frozen?.has(leaf)) return leaf;
    const copy = leaf.slice();
    this.leaves[li] = copy;
    return copy;
  }

  insert(entry: E): void {
    this.count++;
    this.mutations++;
    if (this.leaves.length === 0) {
      this.leaves.push([entry]);
      return;
    }
    const isBefore = (e: E) => this.compare(e, entry) < 0;
    const li = this.leafFor(isBefore);
    const leaf = this.ownLeaf(li);
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
    const owned = this.ownLeaf(li);
    owned.splice(pos, 1);
    if (owned.length === 0) this.leaves.splice(li, 1);
    this.count--;
    this.mutations++;
    return true;
  }

  /** Yields elements in order, starting at the first one for which `isBefore` is false. */
  from(isBefore: (e: E) => boolean): Generator<E> {
    return this.walk(isBefore, false);
  }

  /** Yields, last first, the elements for which `isBefore` is true (a prefix of the order). */
  backwardsFrom(isBefore: (e: E) => boolean): Generator<E> {
    return this.walk(isBefore, true);
  }

  /**
   * The walk may be paused between elements (a cursor waiting for getMore) while the set changes.
   * Leaf positions are then stale, so it finds its place again from the last element it yielded;
   * the comparator is a total order, so nothing is skipped or repeated.
   */
  private *walk(isBefore: (e: E) => boolean, backwards: boolean): Generator<E> {
    let li = 0;
    let pos = 0;
    const seek = (before: (e: E) => boolean) => {
      if (this.leaves.length === 0) return false;
      li = this.leafFor(before);
      pos = SortedEntries.firstNotBefore(this.leaves[li], before);
      if (backwards) pos--;
      return true;
    };
    if (!seek(isBefore)) return;
    let seenMutations = this.mutations;
    for (;;) {
      if (backwards) {
        while (pos < 0) {
          if (--li < 0) return;
          pos = this.leaves[li].length - 1;
        }
      } else {
        while (li < this.leaves.length && pos >= this.leaves[li].length) {
          li++;
          pos = 0;
        }
        if (li >= this.leaves.length) return;
      }
      const entry = this.leaves[li][pos];
      yield entry;
      if (seenMutations !== this.mutations) {
        seenMutations = this.mutations;
        // forward: resume at the first element after `entry`; backwards: at the last one before it
        if (!seek(backwards ? (e) => this.compare(e, entry) < 0 : (e) => this.compare(e, entry) <= 0)) return;
      } else pos += backwards ? -1 : 1;
    }
  }
}
