import { createHmac } from "node:crypto";
import type { Prng } from "./prng";

/** How far off a phone's clock is, by population: the buckets the report breaks success down by. */
export type DriftBucket = "within 15 s" | "15-60 s" | "minutes";

/** The share of phones in each bucket: most within ±15 s, some to ±60 s, a few minutes off. */
const DRIFT_SHARES: Record<DriftBucket, number> = {
  "within 15 s": 0.94,
  "15-60 s": 0.05,
  minutes: 0.01,
};

/**
 * The buckets of `count` phones in the shares of {@link DRIFT_SHARES} (exactly, rounding the
 * smaller buckets up so that a small run has phones minutes off too), in a random order.
 */
export function driftBuckets(count: number, random: Prng): DriftBucket[] {
  const minutes = Math.ceil(count * DRIFT_SHARES.minutes);
  const some = Math.min(count - minutes, Math.ceil(count * DRIFT_SHARES["15-60 s"]));
  const buckets: DriftBucket[] = [
    ...Array<DriftBucket>(minutes).fill("minutes"),
    ...Array<DriftBucket>(some).fill("15-60 s"),
    ...Array<DriftBucket>(Math.max(0, count - minutes - some)).fill("within 15 s"),
  ].slice(0, count);
  for (let i = buckets.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [buckets[i], buckets[j]] = [buckets[j]!, buckets[i]!];
  }
  return buckets;
}

/**
 * A phone's clock offset in milliseconds (phone time minus true time) within its bucket: within
 * ±15 s (normal, σ 5 s: most within a few seconds, network time), 15 to 60 s either way (no
 * network time for a while), or 1 to 5 minutes either way (set by hand, a travel mishap).
 */
export function phoneDrift(bucket: DriftBucket, random: Prng): number {
  const sign = random.next() < 0.5 ? -1 : 1;
  if (bucket === "within 15 s") return Math.max(-15_000, Math.min(15_000, random.normal(0, 5_000)));
  if (bucket === "15-60 s") return sign * random.between(15_000, 60_000);
  return sign * random.between(60_000, 300_000);
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

const fromBase32 = (text: string): Buffer => {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of text.replace(/[=\s-]/g, "").toUpperCase()) {
    value = (value << 5) | ALPHABET.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
};

/** An authenticator app: the TOTP code (RFC 6238, SHA-1, 6 digits, 30 s) its clock shows. */
export function authenticator(secret: string, driftMs: number) {
  const key = fromBase32(secret);
  return {
    /** The time step the phone shows at true time `nowMs`. */
    step: (nowMs: number) => Math.floor((nowMs + driftMs) / 30_000),
    /** The code of `step`. */
    code(step: number): string {
      const counter = Buffer.alloc(8);
      counter.writeBigUInt64BE(BigInt(step));
      const mac = createHmac("sha1", key).update(counter).digest();
      const offset = mac[mac.length - 1]! & 0x0f;
      const binary = mac.readUInt32BE(offset) & 0x7fff_ffff;
      return String(binary % 1_000_000).padStart(6, "0");
    },
  };
}
