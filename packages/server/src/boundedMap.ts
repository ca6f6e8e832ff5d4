/**
 * A map of process-memory caches that holds at most `max` entries, in two generations: writes go
 * to the young one; once it holds half of `max` it becomes the old one and the previous old one is
 * dropped whole. Reading an entry of the old generation moves it back to the young one, so entries
 * in use stay while unused ones age out.
 *
 * Every operation is O(1). Evicting a plain `Map`'s oldest entry one write at a time is not: the
 * deleted entries stay at the front of its table until the next rehash, and each lookup of the
 * first key walks over them (about 7 µs per write at 10 000 entries).
 */
export class BoundedMap<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly half: number;

  /** `max` 0 keeps nothing; 1 keeps one entry. */
  constructor(readonly max: number) {
    this.half = max > 1 ? Math.floor(max / 2) : max;
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  get(key: K): V | undefined {
    const value = this.young.get(key);
    if (value !== undefined || this.old.size === 0) return value;
    const aged = this.old.get(key);
    if (aged !== undefined) {
      this.old.delete(key);
      this.set(key, aged);
    }
    return aged;
  }

  set(key: K, value: V): this {
    if (this.half === 0) return this;
    if (!this.young.has(key)) {
      this.old.delete(key);
      if (this.young.size >= this.half) {
        this.old = this.max > 1 ? this.young : new Map();
        this.young = new Map();
      }
    }
    this.young.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    const young = this.young.delete(key);
    return this.old.delete(key) || young;
  }
}
