import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { anyString } from "./fuzz.testkit";
import { formatRateLimit, formatRateLimitPolicy, parseRateLimit } from "./rateLimit";

describe("parseRateLimit", () => {
  it("reads the RateLimit and RateLimit-Policy fields of draft-ietf-httpapi-ratelimit-headers-10", () => {
    const headers = new Headers({
      RateLimit: '"default";r=50;t=30',
      "RateLimit-Policy": '"burst";q=100;w=60, "daily";q=1000;qu="requests";w=86400',
    });
    expect(parseRateLimit(headers)).toStrictEqual({
      limits: [{ policy: "default", remaining: 50, resetSeconds: 30 }],
      policies: [
        { policy: "burst", quota: 100, windowSeconds: 60 },
        { policy: "daily", quota: 1000, quotaUnit: "requests", windowSeconds: 86400 },
      ],
    });
  });

  it("reads several limits and keeps a byte-sequence partition key as sent", () => {
    const headers = {
      ratelimit: '"burst";r=0;t=5;pk=:dXNlcjE=:, "daily";r=990;t=3600;pk=:dXNlcjE=:',
      "ratelimit-policy": '"burst";q=10;w=5;pk=:dXNlcjE=:',
    };
    expect(parseRateLimit(headers)).toStrictEqual({
      limits: [
        { policy: "burst", remaining: 0, resetSeconds: 5, partitionKey: ":dXNlcjE=:" },
        { policy: "daily", remaining: 990, resetSeconds: 3600, partitionKey: ":dXNlcjE=:" },
      ],
      policies: [{ policy: "burst", quota: 10, windowSeconds: 5, partitionKey: ":dXNlcjE=:" }],
    });
  });

  it("finds the fields in a plain record whatever their case, joining array values like Node", () => {
    expect(parseRateLimit({ RATELIMIT: '"a";r=1' }).limits).toStrictEqual([
      { policy: "a", remaining: 1 },
    ]);
    expect(parseRateLimit({ ratelimit: ['"a";r=1', '"b";r=2'] }).limits).toStrictEqual([
      { policy: "a", remaining: 1 },
      { policy: "b", remaining: 2 },
    ]);
    expect(parseRateLimit({ ratelimit: 5, "ratelimit-policy": { q: 1 } })).toStrictEqual({
      limits: [],
      policies: [],
    });
  });

  it("gives empty lists without the fields, or without headers at all", () => {
    const empty = { limits: [], policies: [] };
    expect(parseRateLimit(new Headers())).toStrictEqual(empty);
    expect(parseRateLimit({})).toStrictEqual(empty);
    expect(parseRateLimit(null)).toStrictEqual(empty);
    expect(parseRateLimit(undefined)).toStrictEqual(empty);
  });

  it("keeps the last value of a repeated parameter, as RFC 9651 §4.2.3.2 says", () => {
    expect(parseRateLimit({ ratelimit: '"a";r=1;r=2' }).limits).toStrictEqual([
      { policy: "a", remaining: 2 },
    ]);
    // the last value is of the wrong type, so there is no value at all
    expect(parseRateLimit({ ratelimit: '"a";r=1;r="x"' }).limits).toStrictEqual([{ policy: "a" }]);
  });

  it("leaves out parameters of the wrong type and ignores unknown ones", () => {
    const value = '"a";r=-1;t=1.5;pk=?1;x=7;q=3, "b";r;t="30";pk="user 1"';
    expect(parseRateLimit({ ratelimit: value }).limits).toStrictEqual([
      { policy: "a" },
      { policy: "b", partitionKey: "user 1" },
    ]);
  });

  it("skips members it cannot read and keeps the others", () => {
    const value = '"ok";r=1, ;r=2, "unterminated;r=3';
    expect(parseRateLimit({ ratelimit: `${value}` }).limits).toStrictEqual([
      { policy: "ok", remaining: 1 },
    ]);
    expect(parseRateLimit({ ratelimit: 'not a name;r=1, "x y";r=2' }).limits).toStrictEqual([
      { policy: "x y", remaining: 2 },
    ]);
  });

  it("tolerates whitespace around ; and = and a token for a policy name", () => {
    expect(parseRateLimit({ ratelimit: " default ; r = 50 ;t= 30 " }).limits).toStrictEqual([
      { policy: "default", remaining: 50, resetSeconds: 30 },
    ]);
  });

  it("keeps __proto__ parameters and names from touching any prototype", () => {
    const info = parseRateLimit({ ratelimit: '"__proto__";__proto__=1;constructor=2;r=3' });
    expect(info.limits).toStrictEqual([{ policy: "__proto__", remaining: 3 }]);
    expect(Object.getPrototypeOf(info.limits[0])).toBe(Object.prototype);
  });

  it("never throws on arbitrary field values", () => {
    fc.assert(
      fc.property(anyString, anyString, (limit, policy) => {
        const { limits, policies } = parseRateLimit({
          RateLimit: limit,
          "RateLimit-Policy": policy,
        });
        for (const item of [...limits, ...policies]) {
          expect(typeof item.policy).toBe("string");
          for (const [key, v] of Object.entries(item)) {
            if (key !== "policy" && typeof v === "number")
              expect(Number.isSafeInteger(v) && v >= 0).toBe(true);
          }
        }
      }),
    );
  });
});

describe("formatRateLimit", () => {
  it("formats a RateLimit item", () => {
    expect(formatRateLimit("default", 0, 30)).toBe('"default";r=0;t=30');
    expect(formatRateLimitPolicy("default", 100, 60)).toBe('"default";q=100;w=60');
  });

  it("floors what is left, rounds the reset up and clamps both", () => {
    expect(formatRateLimit("a", 2.9, 0.1)).toBe('"a";r=2;t=1');
    expect(formatRateLimit("a", -3, -1)).toBe('"a";r=0;t=0');
    expect(formatRateLimit("a", Number.NaN, Number.POSITIVE_INFINITY)).toBe(
      '"a";r=0;t=999999999999999',
    );
    expect(formatRateLimitPolicy("a", 9.9, 0.5)).toBe('"a";q=9;w=1');
  });

  // Header injection: the policy name must never end the field or add a header.
  it("replaces quotes, backslashes and anything outside printable ASCII in the name", () => {
    expect(formatRateLimit('a"\\\r\nb\u00e9', 1, 1)).toBe('"a????b?";r=1;t=1');
  });

  it("is read back by parseRateLimit, several items joined", () => {
    const name = fc.string({ unit: fc.constantFrom(..." !#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~") });
    const count = fc.integer({ min: 0, max: 999_999_999_999_999 });
    fc.assert(
      fc.property(fc.array(fc.tuple(name, count, count), { maxLength: 4 }), (items) => {
        const field = items.map(([p, r, t]) => formatRateLimit(p, r, t)).join(", ");
        const policies = items.map(([p, q, w]) => formatRateLimitPolicy(p, q, w)).join(",");
        expect(parseRateLimit({ ratelimit: field, "ratelimit-policy": policies })).toStrictEqual({
          limits: items.map(([policy, remaining, resetSeconds]) => ({
            policy,
            remaining,
            resetSeconds,
          })),
          policies: items.map(([policy, quota, windowSeconds]) => ({
            policy,
            quota,
            windowSeconds,
          })),
        });
      }),
    );
  });

  it("always formats something parseRateLimit reads as one item", () => {
    fc.assert(
      fc.property(anyString, fc.double(), fc.double(), (policy, remaining, reset) => {
        const field = formatRateLimit(policy, remaining, reset);
        expect(field).toMatch(/^"[ !#-[\]-~]*";r=\d{1,15};t=\d{1,15}$/);
        expect(parseRateLimit({ ratelimit: field }).limits).toHaveLength(1);
      }),
    );
  });
});
