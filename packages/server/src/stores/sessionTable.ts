/**
 * The memory store's sessions by token hash: a `Map` in what it answers (same entries, same
 * insertion order), built so that a lookup among a million sessions stays a few memory reads.
 *
 * A key of exactly 43 base64url characters (a SHA-256 in base64url, as the kit makes them) is
 * decoded to its 256 bits and kept in an open-addressing table (linear probing, a power-of-two
 * capacity at most half full, backward-shift deletion) of one 64-byte slot per key: the key's
 * eight words, the session's expiry, the entry's place in the insertion order and its hash, with
 * the value at the same index of an array. A hit reads one slot (one cache line) and one array
 * element, both at addresses known from the key's hash, so the processor fetches them at once; the
 * record itself is only read when its expiry is not a number. Any other key (a tagged hash, a
 * short test key) goes to a `Map` of its own, with the same answers, and so do all keys while the
 * table is small (see the constructor).
 */

/** What the table keeps: a record with an expiry (epoch milliseconds). */
interface Expiring {
  readonly expiresAt: number;
}

/** 32-bit words per slot: 8 of key, 2 of expiry (a float64), the entry's order + 1, the hash. */
const SLOT = 16;
const EXPIRY = 8;
const ORDER = 10;
const HASH = 11;
const MIN_CAPACITY = 16;
/** Entries of the `Map` moved to the slots by each `set` after the threshold (see `drain`). */
const DRAIN_BATCH = 1024;

/** The 6-bit value of each base64url character code below 128, -1 for any other. */
const SEXTETS = new Int8Array(128).fill(-1);
for (const [i, c] of [
  ..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
].entries()) {
  SEXTETS[c.charCodeAt(0)] = i;
}

/** The words of the key being looked up (decoded by {@link decode}). */
const words = new Int32Array(8);

const sextet = (key: string, i: number): number => {
  const c = key.charCodeAt(i);
  return c < 128 ? (SEXTETS[c] as number) : -1;
};

/** Four characters from `i` as 24 bits, negative when one is not base64url. */
const quad = (key: string, i: number): number => {
  const a = sextet(key, i);
  const b = sextet(key, i + 1);
  const c = sextet(key, i + 2);
  const d = sextet(key, i + 3);
  return (a | b | c | d) < 0 ? -1 : (a << 18) | (b << 12) | (c << 6) | d;
};

/**
 * Decodes a key into {@link words}: `false` unless it is 43 base64url characters whose unused
 * last 2 bits are zero (the canonical base64url of 32 bytes, so the words tell keys apart).
 */
function decode(key: string): boolean {
  if (key.length !== 43) return false;
  const g0 = quad(key, 0);
  const g1 = quad(key, 4);
  const g2 = quad(key, 8);
  const g3 = quad(key, 12);
  const g4 = quad(key, 16);
  const g5 = quad(key, 20);
  const g6 = quad(key, 24);
  const g7 = quad(key, 28);
  const g8 = quad(key, 32);
  const g9 = quad(key, 36);
  const x = sextet(key, 40);
  const y = sextet(key, 41);
  const z = sextet(key, 42);
  const bad = g0 | g1 | g2 | g3 | g4 | g5 | g6 | g7 | g8 | g9 | x | y | z | -(z & 3);
  if (bad < 0) return false;
  words[0] = (g0 << 8) | (g1 >>> 16);
  words[1] = (g1 << 16) | (g2 >>> 8);
  words[2] = (g2 << 24) | g3;
  words[3] = (g4 << 8) | (g5 >>> 16);
  words[4] = (g5 << 16) | (g6 >>> 8);
  words[5] = (g6 << 24) | g7;
  words[6] = (g8 << 8) | (g9 >>> 16);
  words[7] = (g9 << 16) | (x << 10) | (y << 4) | (z >>> 2);
  return true;
}

/** A 32-bit hash of {@link words}: every word counts, so keys alike in parts still spread. */
function hashWords(): number {
  let h = 0x2545f491;
  for (let i = 0; i < 8; i++) {
    h = Math.imul(h ^ (words[i] as number), 0x9e3779b1);
    h ^= h >>> 15;
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Whether the slot at `base` of `s` holds the key in {@link words}. */
const holdsKey = (s: Int32Array, base: number): boolean =>
  s[base] === words[0] &&
  s[base + 1] === words[1] &&
  s[base + 2] === words[2] &&
  s[base + 3] === words[3] &&
  s[base + 4] === words[4] &&
  s[base + 5] === words[5] &&
  s[base + 6] === words[6] &&
  s[base + 7] === words[7];

/** The hash a 43-character key is placed by (its home slot is the low bits), else `undefined`. */
export const keyHash = (key: string): number | undefined => (decode(key) ? hashWords() : undefined);

/** Sessions (or any record with an `expiresAt`) by key, answering as a `Map` would. */
export class SessionTable<V extends Expiring> {
  /** The slots; `expiry` views the same memory. Allocated on the first 43-character key. */
  private slots = new Int32Array(0);
  private expiry = new Float64Array(0);
  private mask = -1;
  /** Entries in the slots. */
  private inSlots = 0;
  /** The value of each slot. */
  private values: (V | undefined)[] = [];
  /** Keys in insertion order, with holes (`undefined`) where one was deleted. */
  private keys: (string | undefined)[] = [];
  /** The slot of each entry in the order, -1 for an entry of {@link others}. */
  private slotOf: number[] = [];
  private holes = 0;
  /**
   * Entries whose key is not 43 base64url characters, and all entries added while there were at
   * most `slotsFrom` (until {@link drain} moves them): their values (what a lookup reads) and their
   * places in the order.
   */
  private others = new Map<string, V>();
  private otherAt = new Map<string, number>();
  /** Whether 43-character keys go to the slots. */
  private slotted: boolean;
  /** The walk over {@link others} moving their 43-character keys to the slots, while it lasts. */
  private draining: IterableIterator<[string, V]> | undefined;

  /**
   * @param slotsFrom - entries kept in a plain `Map` before the 43-character keys go to the slots:
   * new ones at once, those in the `Map` {@link DRAIN_BATCH} at a time with each later `set`, so
   * that no single call moves a quarter of a million sessions (a pause of seconds). Decoding a key costs about 60 ns, where a `Map` lookup of a string it
   * has seen (the kit's token-hash cache hands out the same one) reuses the hash V8 keeps in it:
   * the `Map` is faster while the sessions looked up stay in the CPU caches, the slots when the
   * lookups spread over more sessions than the caches hold.
   */
  constructor(
    private readonly slotsFrom = 262_144,
    /** Entries of the `Map` each later `set` moves (tests make it small to see a move half done). */
    private readonly drainBatch = DRAIN_BATCH,
  ) {
    this.slotted = slotsFrom === 0;
  }

  get size(): number {
    return this.keys.length - this.holes;
  }

  /** The slot of the key in {@link words}, or -1. */
  private find(): number {
    if (this.inSlots === 0) return -1;
    const s = this.slots;
    let i = hashWords() & this.mask;
    for (;;) {
      const base = i * SLOT;
      if (s[base + ORDER] === 0) return -1;
      if (holdsKey(s, base)) return i;
      i = (i + 1) & this.mask;
    }
  }

  get(key: string): V | undefined {
    if (!this.slotted || !decode(key)) return this.others.get(key);
    const slot = this.find();
    // Not in the slots: it may be one of the entries the `Map` held before them.
    return slot >= 0 ? this.values[slot] : this.others.size > 0 ? this.others.get(key) : undefined;
  }

  /**
   * The value of `key` when it is live at `now` (its `expiresAt` is not `<= now`), `null` when the
   * key is there but no longer live, `undefined` when it is not there: one lookup either way. The
   * session check's lookup: the expiry is read from the slot, beside the key.
   */
  getLive(key: string, now: number): V | null | undefined {
    // Small enough to inline: the slots' lookup is a method of its own.
    if (this.slotted && decode(key)) {
      const live = this.liveInSlots(now);
      // Not in the slots: it may be one of the entries the `Map` held before them.
      if (live !== undefined || this.others.size === 0) return live;
    }
    const value = this.others.get(key);
    return value === undefined ? undefined : value.expiresAt <= now ? null : value;
  }

  /** {@link getLive} of the key in {@link words}. */
  private liveInSlots(now: number): V | null | undefined {
    if (this.inSlots === 0) return undefined;
    const s = this.slots;
    const values = this.values;
    const mask = this.mask;
    let slot = hashWords() & mask;
    let value: V | undefined;
    for (;;) {
      // Read before the slot is compared: the two reads wait on memory together.
      value = values[slot];
      const base = slot * SLOT;
      if (s[base + ORDER] === 0) return undefined;
      if (holdsKey(s, base)) break;
      slot = (slot + 1) & mask;
    }
    const until = this.expiry[slot * (SLOT / 2) + EXPIRY / 2] as number;
    if (until > now) return value;
    if (until <= now) return null;
    // An expiry that is not a number (or a clock that is not): the record decides, as in a Map.
    return (value as V).expiresAt <= now ? null : (value as V);
  }

  set(key: string, value: V): this {
    if (!this.slotted || !decode(key)) {
      const size = this.others.size;
      this.others.set(key, value);
      if (this.others.size !== size) {
        this.otherAt.set(key, this.keys.length);
        this.append(key, -1);
        if (!this.slotted && this.others.size > this.slotsFrom) {
          // From now on new keys go to the slots, and those in the `Map` follow, batch by batch.
          this.slotted = true;
          this.draining = this.others.entries();
          // Slots for all of them at once: no doubling (a copy of every slot) while they move.
          let capacity = MIN_CAPACITY;
          while (capacity < this.others.size * 2 + 2) capacity *= 2;
          this.resize(capacity);
        }
      }
      return this;
    }
    let slot = this.find();
    if (slot < 0 && this.others.has(key)) {
      this.others.set(key, value);
    } else {
      if (slot < 0) {
        slot = this.place(this.keys.length);
        this.append(key, slot);
      }
      this.fill(slot, value);
    }
    if (this.draining) this.drain();
    return this;
  }

  /**
   * Moves up to `drainBatch` entries of 43-character keys from {@link others} to the slots,
   * in the `Map`'s order (its iterator carries on across the deletions), keeping their places in
   * the insertion order. Until they are moved, lookups that miss the slots ask the `Map`.
   */
  private drain() {
    const walk = this.draining as IterableIterator<[string, V]>;
    for (let n = 0; n < this.drainBatch; n++) {
      const next = walk.next();
      if (next.done) {
        this.draining = undefined;
        return;
      }
      const [key, value] = next.value;
      if (!decode(key)) continue;
      const at = this.otherAt.get(key) as number;
      const slot = this.place(at);
      this.slotOf[at] = slot;
      this.fill(slot, value);
      this.others.delete(key);
      this.otherAt.delete(key);
    }
  }

  /** Takes a free slot for the key in {@link words}, the entry `at` in the order. */
  private place(at: number): number {
    if ((this.inSlots + 1) * 2 > this.mask + 1) {
      this.resize(Math.max(MIN_CAPACITY, (this.mask + 1) * 2));
    }
    const h = hashWords();
    let slot = h & this.mask;
    while (this.slots[slot * SLOT + ORDER] !== 0) slot = (slot + 1) & this.mask;
    const base = slot * SLOT;
    this.slots.set(words, base);
    this.slots[base + HASH] = h;
    this.slots[base + ORDER] = at + 1;
    this.inSlots++;
    return slot;
  }

  private fill(slot: number, value: V) {
    this.values[slot] = value;
    const until = value.expiresAt;
    this.expiry[slot * (SLOT / 2) + EXPIRY / 2] = typeof until === "number" ? until : Number.NaN;
  }

  private append(key: string, slot: number) {
    this.keys.push(key);
    this.slotOf.push(slot);
  }

  delete(key: string): boolean {
    let at: number;
    const slot = this.slotted && decode(key) ? this.find() : -1;
    if (slot < 0) {
      const other = this.otherAt.get(key);
      if (other === undefined) return false;
      this.others.delete(key);
      this.otherAt.delete(key);
      at = other;
    } else {
      at = (this.slots[slot * SLOT + ORDER] as number) - 1;
      this.vacate(slot);
    }
    this.keys[at] = undefined;
    this.slotOf[at] = -1;
    this.holes++;
    if (this.holes > MIN_CAPACITY && this.holes * 2 > this.keys.length) this.compact();
    return true;
  }

  /** Empties `slot`, moving back the entries after it that probed past it (no tombstones). */
  private vacate(slot: number) {
    const s = this.slots;
    const mask = this.mask;
    let hole = slot;
    let j = slot;
    for (;;) {
      j = (j + 1) & mask;
      const base = j * SLOT;
      if (s[base + ORDER] === 0) break;
      const home = (s[base + HASH] as number) & mask;
      // The entry at `j` stays when its home lies cyclically in (hole, j].
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      s.copyWithin(hole * SLOT, base, base + SLOT);
      this.values[hole] = this.values[j];
      this.slotOf[(s[base + ORDER] as number) - 1] = hole;
      hole = j;
    }
    s.fill(0, hole * SLOT, hole * SLOT + SLOT);
    this.values[hole] = undefined;
    this.inSlots--;
  }

  /** Moves the slots to a table of `capacity` (a power of two). */
  private resize(capacity: number) {
    const old = this.slots;
    const oldValues = this.values;
    const oldCapacity = this.mask + 1;
    this.values = new Array<V | undefined>(capacity).fill(undefined);
    const buffer = new ArrayBuffer(capacity * SLOT * 4);
    this.slots = new Int32Array(buffer);
    this.expiry = new Float64Array(buffer);
    this.mask = capacity - 1;
    for (let i = 0; i < oldCapacity; i++) {
      const from = i * SLOT;
      if (old[from + ORDER] === 0) continue;
      let slot = (old[from + HASH] as number) & this.mask;
      while (this.slots[slot * SLOT + ORDER] !== 0) slot = (slot + 1) & this.mask;
      this.slots.set(old.subarray(from, from + SLOT), slot * SLOT);
      this.values[slot] = oldValues[i];
      this.slotOf[(old[from + ORDER] as number) - 1] = slot;
    }
  }

  /** Closes the holes of the insertion order (amortised: once they outnumber the entries). */
  private compact() {
    let n = 0;
    for (let at = 0; at < this.keys.length; at++) {
      const key = this.keys[at];
      if (key === undefined) continue;
      const slot = this.slotOf[at] as number;
      this.keys[n] = key;
      this.slotOf[n] = slot;
      if (slot < 0) this.otherAt.set(key, n);
      else this.slots[slot * SLOT + ORDER] = n + 1;
      n++;
    }
    this.keys.length = n;
    this.slotOf.length = n;
    this.holes = 0;
  }

  clear() {
    this.slots = new Int32Array(0);
    this.expiry = new Float64Array(0);
    this.mask = -1;
    this.inSlots = 0;
    this.keys = [];
    this.values = [];
    this.slotOf = [];
    this.holes = 0;
    this.others.clear();
    this.otherAt.clear();
    this.slotted = this.slotsFrom === 0;
    this.draining = undefined;
  }

  /**
   * The entries in insertion order, as a `Map` iterates them. Unlike a `Map`'s, the iteration
   * must not run across changes of the table: collect first, then delete.
   */
  *entries(): IterableIterator<[string, V]> {
    for (let at = 0; at < this.keys.length; at++) {
      const key = this.keys[at];
      if (key === undefined) continue;
      const slot = this.slotOf[at] as number;
      yield [key, (slot < 0 ? this.others.get(key) : this.values[slot]) as V];
    }
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }
}
