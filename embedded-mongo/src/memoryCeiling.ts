import v8 from 'node:v8';

/**
 * The embedded server keeps every document in this process's JavaScript heap. Past V8's heap limit the process
 * dies with an out-of-memory crash (and in demo mode takes the app with it), so writes that add data are
 * refused before that, with ExceededMemoryLimit (146) and one log line per episode; reads and deletes go on,
 * and writes resume once memory is freed.
 */
export class MemoryCeiling {
  private refusing = false;

  constructor(
    readonly ceilingBytes: number,
    private readonly heapUsedBytes: () => number = () => v8.getHeapStatistics().used_heap_size,
  ) {}

  /** 85% of the heap V8 allows this process (raise it with --max-old-space-size). */
  static defaultCeilingBytes(): number {
    return Math.floor(v8.getHeapStatistics().heap_size_limit * 0.85);
  }

  /** True while the heap is past the ceiling (logged when that starts). */
  exceeded(): boolean {
    const used = this.heapUsedBytes();
    if (used < this.ceilingBytes) {
      this.refusing = false;
      return false;
    }
    if (!this.refusing) {
      this.refusing = true;
      console.error(
        `embedded-mongo: heap ${mb(used)} is past its ceiling of ${mb(this.ceilingBytes)}: writes that add data are refused ` +
          '(ExceededMemoryLimit) until memory is freed. The data has outgrown the embedded server: move to a MongoDB replica set (MONGODB_URI).',
      );
    }
    return true;
  }
}

const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
