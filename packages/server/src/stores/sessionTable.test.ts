import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { keyHash, SessionTable } from "./sessionTable";

interface Rec {
  expiresAt: number;
  n: number;
}

/** A token hash as the kit makes one: base64url of a SHA-256. */
const hashKey = (seed: string) => createHash("sha256").update(seed).digest("base64url");

/** 400 hash keys, in groups whose placement hashes share their low 8 bits (one probe cluster). */
const colliding = (() => {
  const byHome = new Map<number, string[]>();
  for (let i = 0; i < 12_000; i++) {
    const key = hashKey(`c${i}`);
    const home = (keyHash(key) as number) & 255;
    byHome.set(home, [...(byHome.get(home) ?? []), key]);
  }
  return [...byHome.values()]
    .sort((a, b) => b.length - a.length)
    .slice(0, 8)
    .flatMap((keys) => keys.slice(0, 50));
})();

/** Keys of every kind: hashes (some colliding), near-misses of 43 characters, short and tagged. */
const plain = Array.from({ length: 300 }, (_, i) => hashKey(`k${i}`));
const others = [
  "h1",
  "h2",
  "",
  `t1.${hashKey("k1")}`,
  `${hashKey("k2").slice(0, 42)}B`, // 43 characters, unused low bits set
  `${hashKey("k3").slice(0, 42)}/`, // not base64url
  `${hashKey("k4").slice(0, 41)}é0`,
  hashKey("k5").slice(0, 42),
  `${hashKey("k6")}A`,
  "A".repeat(43),
  `${"_".repeat(42)}w`,
];
const keyArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...plain) },
  { weight: 4, arbitrary: fc.constantFrom(...colliding) },
  { weight: 1, arbitrary: fc.constantFrom(...others) },
);

type Op =
  | { op: "set"; key: string; expiresAt: number }
  | { op: "get" | "delete"; key: string }
  | { op: "live"; key: string; now: number }
  | { op: "iterate" }
  | { op: "clear" };

const expiryArb = fc.oneof(
  fc.integer({ min: 0, max: 10 }),
  fc.constant(Number.NaN),
  fc.constant(1.5e12 + 0.25),
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 200,
    arbitrary: fc.record({ op: fc.constant("set" as const), key: keyArb, expiresAt: expiryArb }),
  },
  { weight: 80, arbitrary: fc.record({ op: fc.constant("get" as const), key: keyArb }) },
  { weight: 120, arbitrary: fc.record({ op: fc.constant("delete" as const), key: keyArb }) },
  {
    weight: 60,
    arbitrary: fc.record({
      op: fc.constant("live" as const),
      key: keyArb,
      now: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.constant(Number.NaN)),
    }),
  },
  { weight: 20, arbitrary: fc.constant({ op: "iterate" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "clear" as const }) },
);

/** Runs `ops` on a table and on a `Map`, requiring the same answer to each. */
function runBoth(ops: Op[], slotsFrom: number, drainBatch?: number) {
  const table = new SessionTable<Rec>(slotsFrom, drainBatch);
  const map = new Map<string, Rec>();
  ops.forEach((o, n) => {
    switch (o.op) {
      case "set": {
        const rec = { expiresAt: o.expiresAt, n };
        table.set(o.key, rec);
        map.set(o.key, rec);
        break;
      }
      case "get":
        expect(table.get(o.key)).toBe(map.get(o.key));
        break;
      case "delete":
        expect(table.delete(o.key)).toBe(map.delete(o.key));
        break;
      case "live": {
        const rec = map.get(o.key);
        expect(table.getLive(o.key, o.now)).toBe(
          rec === undefined ? undefined : rec.expiresAt <= o.now ? null : rec,
        );
        break;
      }
      case "iterate":
        expect([...table]).toEqual([...map]);
        break;
      case "clear":
        table.clear();
        map.clear();
        break;
    }
    expect(table.size).toBe(map.size);
  });
  expect([...table.entries()]).toEqual([...map]);
  for (const key of [...plain, ...colliding, ...others]) expect(table.get(key)).toBe(map.get(key));
}

describe("SessionTable", () => {
  it("keeps 43-character hashes in slots and other keys beside them", () => {
    expect(keyHash(hashKey("x"))).toBeTypeOf("number");
    for (const key of others.filter((k) => k !== "A".repeat(43) && k !== `${"_".repeat(42)}w`)) {
      expect(keyHash(key)).toBeUndefined();
    }
    // The smallest and largest canonical keys decode too (all-zero and all-one words).
    expect(keyHash("A".repeat(43))).toBeTypeOf("number");
    expect(keyHash(`${"_".repeat(42)}w`)).toBeTypeOf("number");
  });

  it("holds the colliding keys in clusters of one home slot", () => {
    const homes = new Set(colliding.map((k) => (keyHash(k) as number) & 255));
    expect(homes.size).toBe(8);
    expect(colliding).toHaveLength(400);
  });

  // 0: 43-character keys in the slots from the start; 40: in a Map until there are 41 entries,
  // then moved to the slots all at once (the default batch) or 3 per `set`, so that lookups,
  // deletions and new values meet keys still in the Map.
  it.each([
    [0, 1024],
    [40, 1024],
    [40, 3],
  ])(
    "answers as a Map over random sequences (slots from %i entries, %s moved per set)",
    (slotsFrom, batch) => {
      fc.assert(
        fc.property(fc.array(opArb, { maxLength: 600 }), (ops) => runBoth(ops, slotsFrom, batch)),
        { seed: 20261207, numRuns: 100 },
      );
    },
  );

  it.each([
    [0, 1024],
    [150, 1024],
    [150, 7],
  ])(
    "answers as a Map through growth and deletions in probe clusters (slots from %i, %s moved per set)",
    (slotsFrom, batch) => {
      // Insert everything (several doublings: 16 slots to 2048), then delete in random order with
      // lookups between, then insert again over the holes.
      fc.assert(
        fc.property(
          fc.shuffledSubarray([...colliding, ...plain, ...others], { minLength: 200 }),
          fc.shuffledSubarray([...colliding, ...plain, ...others]),
          (inserts, deletes) => {
            const ops: Op[] = [
              ...inserts.map((key, i) => ({ op: "set" as const, key, expiresAt: i })),
              { op: "iterate" },
              ...deletes.flatMap((key, i): Op[] => [
                { op: "delete", key },
                { op: "get", key: deletes[(i * 7) % deletes.length] as string },
                { op: "live", key: inserts[(i * 13) % inserts.length] as string, now: 5 },
              ]),
              { op: "iterate" },
              ...inserts.slice(0, 100).map((key, i) => ({ op: "set" as const, key, expiresAt: i })),
            ];
            runBoth(ops, slotsFrom, batch);
          },
        ),
        { seed: 7, numRuns: 40 },
      );
    },
  );

  it("moves its 43-character keys to the slots past slotsFrom entries, in the same order", () => {
    const table = new SessionTable<Rec>(3);
    const keys = [plain[0], "h1", plain[1], plain[2], "h2", plain[3]] as string[];
    keys.forEach((key, n) => void table.set(key, { expiresAt: 10, n }));
    expect([...table].map(([k, v]) => [k, v.n])).toEqual(keys.map((k, n) => [k, n]));
    for (const key of keys) expect(table.getLive(key, 9)?.expiresAt).toBe(10);
    expect(table.getLive(plain[0] as string, 10)).toBeNull();
    // The slot path answers (the Map of other keys holds only the short ones now).
    expect(table.delete(plain[1] as string)).toBe(true);
    expect(table.get(plain[1] as string)).toBeUndefined();
    expect(table.size).toBe(5);
    table.clear();
    table.set(plain[0] as string, { expiresAt: 1, n: 0 });
    expect([...table]).toHaveLength(1);
  });

  it("answers for the keys still in the Map while they move to the slots, one per set", () => {
    const table = new SessionTable<Rec>(3, 1);
    const [a, b, c, d, e, f] = plain as [string, string, string, string, string, string];
    for (const [n, key] of [a, b, c, d].entries()) table.set(key, { expiresAt: 10, n });
    // Past 3 entries: new keys go to the slots; a, b, c and d wait in the Map, moved one per set.
    table.set(e, { expiresAt: 10, n: 4 });
    for (const key of [a, b, c, d, e]) {
      expect(table.get(key)).toBeDefined();
      expect(table.get(key)?.expiresAt).toBe(10);
      expect(table.getLive(key, 9)?.expiresAt).toBe(10);
      expect(table.getLive(key, 10)).toBeNull();
    }
    // A new value for a key still in the Map keeps its place in the order.
    table.set(d, { expiresAt: 20, n: 5 });
    expect(table.getLive(d, 15)?.n).toBe(5);
    expect(table.delete(c)).toBe(true);
    expect(table.get(c)).toBeUndefined();
    table.set(f, { expiresAt: 10, n: 6 });
    table.set(c, { expiresAt: 10, n: 7 });
    expect([...table].map(([key, v]) => [key, v.n])).toEqual([
      [a, 0],
      [b, 1],
      [d, 5],
      [e, 4],
      [f, 6],
      [c, 7],
    ]);
    expect(table.size).toBe(6);
  });

  it("keeps the order of a Map when a key is set again, deleted and set anew", () => {
    const table = new SessionTable<Rec>(0);
    const [a, b, c] = plain as [string, string, string];
    table
      .set(a, { expiresAt: 1, n: 1 })
      .set("h1", { expiresAt: 1, n: 2 })
      .set(b, { expiresAt: 1, n: 3 });
    table.set(a, { expiresAt: 2, n: 4 });
    table.delete("h1");
    table.set("h1", { expiresAt: 1, n: 5 }).set(c, { expiresAt: 1, n: 6 });
    expect([...table].map(([k, v]) => [k, v.n])).toEqual([
      [a, 4],
      [b, 3],
      ["h1", 5],
      [c, 6],
    ]);
  });

  it("reads the expiry from the record when it is not a number", () => {
    const table = new SessionTable<Rec>(0);
    const key = plain[0] as string;
    const rec = { expiresAt: "5", n: 1 } as unknown as Rec;
    table.set(key, rec);
    expect(table.getLive(key, 4)).toBe(rec);
    expect(table.getLive(key, 5)).toBeNull();
  });
});
