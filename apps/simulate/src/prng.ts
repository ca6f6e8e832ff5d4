/** A seeded pseudo-random source: the same seed gives the same simulation, run after run. */
export interface Prng {
  /** A number in [0, 1). */
  next(): number;
  /** A number in [min, max). */
  between(min: number, max: number): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** A normal deviate (Box-Muller). */
  normal(mean: number, sd: number): number;
  /** A new source drawn from this one, for one actor (its draws then do not depend on the others'). */
  fork(): Prng;
}

/** mulberry32: 32 bits of state, fast, and good enough for a simulation (not for secrets). */
export function prng(seed: number): Prng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const self: Prng = {
    next,
    between: (min, max) => min + (max - min) * next(),
    int: (n) => Math.floor(next() * n),
    normal: (mean, sd) =>
      mean + sd * Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
    fork: () => prng(Math.floor(next() * 4_294_967_296)),
  };
  return self;
}
