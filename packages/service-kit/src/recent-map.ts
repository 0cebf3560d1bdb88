/**
 * A bounded map that keeps the keys used lately: two generations, the current one and the one
 * before it. A key read from the previous generation moves into the current one; once the current
 * one holds half of `maxEntries` it becomes the previous one, and the keys nobody used during a
 * whole generation are dropped with the old one.
 *
 * Why not a Map kept in LRU order by deleting and re-inserting a key on every use: a Map that has
 * lived long enough to sit in V8's old generation allocates its rehashed tables there as well, so
 * that re-insertion per request filled the old generation with garbage that only a major GC takes
 * back, pausing the event loop 10–25 ms every few seconds under load (apps/node/README.md,
 * "Garbage the old generation collects"). Here a hot key costs one lookup and no allocation.
 */
export class RecentMap<K, V> {
  private current = new Map<K, V>();
  private previous = new Map<K, V>();
  private readonly generation: number;

  constructor(readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError("maxEntries must be ≥ 1");
    this.generation = Math.ceil(maxEntries / 2);
  }

  /** Entries held (at most `maxEntries`). */
  get size(): number {
    return this.current.size + this.previous.size;
  }

  get(key: K): V | undefined {
    const v = this.current.get(key);
    if (v !== undefined || this.previous.size === 0) return v;
    const old = this.previous.get(key);
    if (old !== undefined) {
      this.previous.delete(key);
      this.add(key, old);
    }
    return old;
  }

  set(key: K, value: V): void {
    if (this.current.has(key)) this.current.set(key, value);
    else {
      this.previous.delete(key);
      this.add(key, value);
    }
  }

  private add(key: K, value: V): void {
    this.current.set(key, value);
    if (this.current.size >= this.generation) {
      this.previous = this.current;
      this.current = new Map();
    }
  }
}
