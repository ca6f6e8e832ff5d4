import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BoundedMap } from "./boundedMap";

describe("BoundedMap", () => {
  it("never holds more than max entries, and always the latest value of a key it holds", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 8 }),
        fc.array(
          fc.tuple(fc.constantFrom("get", "set", "delete"), fc.integer({ min: 0, max: 12 })),
          { maxLength: 200 },
        ),
        (max, ops) => {
          const map = new BoundedMap<number, number>(max);
          const latest = new Map<number, number>();
          ops.forEach(([op, key], i) => {
            if (op === "set") {
              map.set(key, i);
              latest.set(key, i);
            } else if (op === "delete") {
              map.delete(key);
              latest.delete(key);
            } else {
              const value = map.get(key);
              if (value !== undefined) expect(value).toBe(latest.get(key));
            }
            expect(map.size).toBeLessThanOrEqual(max);
          });
        },
      ),
    );
  });

  it("keeps the entries in use and lets unused ones age out", () => {
    const map = new BoundedMap<string, number>(4);
    map.set("hot", 1);
    for (let i = 0; i < 100; i++) {
      map.set(`cold${i}`, i);
      expect(map.get("hot")).toBe(1);
    }
    expect(map.get("cold0")).toBeUndefined();
    expect(map.get("cold99")).toBe(99);
  });

  it("keeps nothing with max 0, and the last entry with max 1", () => {
    const none = new BoundedMap<string, number>(0);
    none.set("a", 1);
    expect(none.size).toBe(0);
    const one = new BoundedMap<string, number>(1);
    one.set("a", 1).set("b", 2);
    expect([one.get("a"), one.get("b"), one.size]).toEqual([undefined, 2, 1]);
  });
});
