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
    expect(parseRateLimit({ ratelimit: '"a";r="x";r=2' }).limits).toStrictEqual([
      { policy: "a", remaining: 2 },
    ]);
  });
  // draft-ietf-httpapi-ratelimit-headers-10 §5: a malformed field is ignored whole, not read in part.
  it.each([
    ["a list cut off in the middle", '"default";r=50;t=30, ('],
    ["a negative r", '"default";r=-1'],
    ["a 16-digit integer", '"default";r=1234567890123456'],
    ["a space before ;", '"default" ;r=50'],
    ["an upper-case key", '"default";R=50'],
    ["a Decimal for r", '"default";r=5.0'],
    ["a String for pk", '"default";r=5;pk="abc"'],
    ["a token for the policy name", "default;r=50"],
    ["an Integer for the policy name", "5;r=50"],
    ["an Inner List member", '("default");r=50'],
    ["a trailing comma", '"default";r=50,'],
    ["an empty member", '"a";r=1,,"b";r=2'],
    ["two members without a comma", '"a";r=1 "b";r=2'],
    ["a leading comma", ', "a";r=1'],
    ["no r", '"default";t=30'],
    ["r without a value (a Boolean)", '"default";r'],
    ["r as a Boolean", '"default";r=?1'],
    ["a String for t", '"default";r=1;t="30"'],
    ["a Token for pk", '"default";r=1;pk=abc'],
    ["a wrong last value of a repeated parameter", '"a";r=1;r="x"'],
    ["an unterminated String", '"ok";r=1, "unterminated;r=3'],
    ["a String with a bad escape", String.raw`"a\n";r=1`],
    ["a String with a non-ASCII character", '"café";r=1'],
    ["a String with a tab", '"a\tb";r=1'],
    ["a Byte Sequence with a bad character", '"a";r=1;pk=:ab_c:'],
    ["an unterminated Byte Sequence", '"a";r=1;pk=:abc'],
    ["a Decimal with 13 integer digits in another parameter", '"a";r=1;x=1234567890123.5'],
    ["a Decimal with 4 decimals in another parameter", '"a";r=1;x=1.2345'],
    ["a Decimal ending in a dot", '"a";r=1;x=1.'],
    ["a bare minus", '"a";r=1;x=-'],
    ["a Boolean other than ?0 and ?1", '"a";r=1;x=?2'],
    ["a Date that is a Decimal", '"a";r=1;x=@1.5'],
    ["a Display String with upper-case hex", '"a";r=1;x=%"%C3%A9"'],
    ["a Display String that is not UTF-8", '"a";r=1;x=%"%c3"'],
    ["a Display String with an overlong encoding", '"a";r=1;x=%"%c0%af"'],
    ["a key starting with a digit", '"a";r=1;1x=2'],
    ["a space before =", '"a";r =1'],
    ["a space after =", '"a";r= 1'],
    ["a tab after ;", '"a";\tr=1'],
    ["a parameter before any member", ';r=1, "a";r=1'],
    ["garbage after a member", '"a";r=1 x'],
    ["a lone comma", ","],
  ])("ignores the whole RateLimit field with %s", (_, value) => {
    const headers = { ratelimit: `"fine";r=1, ${value}`, "ratelimit-policy": '"fine";q=1' };
    expect(parseRateLimit({ ratelimit: value }).limits).toStrictEqual([]);
    expect(parseRateLimit(headers)).toStrictEqual({
      limits: [],
      policies: [{ policy: "fine", quota: 1 }],
    });
  });

  it.each([
    ["w=0 (a window must be positive)", '"default";q=100;w=0'],
    ["a negative w", '"default";q=100;w=-60'],
    ["no q", '"default";w=60'],
    ["a Token for qu", '"default";q=100;qu=requests'],
    ["an Integer for qu", '"default";q=100;qu=5'],
    ["a Decimal for q", '"default";q=1.5'],
  ])("ignores the whole RateLimit-Policy field with %s", (_, value) => {
    expect(parseRateLimit({ "ratelimit-policy": `"ok";q=1, ${value}` }).policies).toStrictEqual([]);
  });

  it("reads what RFC 9651 allows: whitespace around commas, SP after ;, SP at the ends", () => {
    const value = ' "a\\"b\\\\";r=1;  t=2 ,\t"c";r=0 ';
    expect(parseRateLimit({ ratelimit: value }).limits).toStrictEqual([
      { policy: 'a"b\\', remaining: 1, resetSeconds: 2 },
      { policy: "c", remaining: 0 },
    ]);
    // leading zeros and -0 are Integers (RFC 9651 §4.2.4), 15 digits the most
    expect(parseRateLimit({ ratelimit: '"a";r=007;t=-0' }).limits).toStrictEqual([
      { policy: "a", remaining: 7, resetSeconds: 0 },
    ]);
    expect(parseRateLimit({ ratelimit: '"a";r=999999999999999' }).limits).toStrictEqual([
      { policy: "a", remaining: 999999999999999 },
    ]);
    expect(parseRateLimit({ "ratelimit-policy": '"";q=0;qu="";w=1' }).policies).toStrictEqual([
      { policy: "", quota: 0, quotaUnit: "", windowSeconds: 1 },
    ]);
  });

  it("checks and then ignores parameters it does not know, of every RFC 9651 type", () => {
    const unknown =
      ';a=1;b=-2;c=1.5;d=-123456789012.123;e="x";f=tok*en:/x;g=:AQID:;h=?0;i;j=@1659578233;k=%"f%c3%bc%c3%bcr";*l=1;m_n.o-p*=2;q2=3';
    expect(parseRateLimit({ ratelimit: `"default";r=50${unknown};t=30` }).limits).toStrictEqual([
      { policy: "default", remaining: 50, resetSeconds: 30 },
    ]);
  });

  it("keeps __proto__ and other Object.prototype names from touching any prototype", () => {
    const info = parseRateLimit({ ratelimit: '"__proto__";constructor=2;hasownproperty=1;r=3' });
    expect(info.limits).toStrictEqual([{ policy: "__proto__", remaining: 3 }]);
    expect(Object.getPrototypeOf(info.limits[0])).toBe(Object.prototype);
    // a key cannot start with "_" (RFC 9651 §3.1.2), so `__proto__` makes the field malformed
    expect(parseRateLimit({ ratelimit: '"a";__proto__=1;r=3' }).limits).toStrictEqual([]);
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
  it("reads any List that RFC 9651 serializes, with parameters of every type", () => {
    const sfString = fc.string({
      unit: fc.constantFrom(..." !#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~\\\""),
    });
    const serialize = (s: string) => `"${s.replace(/["\\]/g, "\\$&")}"`;
    const key = fc.stringMatching(/^[a-z*][a-z0-9_.*-]{0,5}$/).filter((k) => !/^(r|t|pk)$/.test(k));
    const bare = fc.oneof(
      fc.integer({ min: -999_999_999_999_999, max: 999_999_999_999_999 }).map(String),
      fc
        .tuple(
          fc.integer({ min: -999_999_999_999, max: 999_999_999_999 }),
          fc.integer({ min: 0, max: 999 }),
        )
        .map(([i, f]) => `${i}.${f}`),
      sfString.map(serialize),
      fc.stringMatching(/^[A-Za-z*][A-Za-z0-9!#$%&'*+.^_`|~:/-]{0,6}$/),
      fc.base64String().map((b) => `:${b}:`),
      fc.constantFrom("?0", "?1", "@0", "@-1659578233"),
      fc
        .string()
        .map(
          (s) =>
            `%"${[...new TextEncoder().encode(s)].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, "0")}`)).join("")}"`,
        ),
    );
    const member = fc.record({
      policy: sfString,
      remaining: fc.integer({ min: 0, max: 999_999_999_999_999 }),
      resetSeconds: fc.option(fc.integer({ min: 0, max: 999_999_999_999_999 }), { nil: undefined }),
      extra: fc.array(fc.tuple(key, fc.option(bare, { nil: undefined })), { maxLength: 3 }),
      spaces: fc.constantFrom("", " ", "  "),
    });
    fc.assert(
      fc.property(
        fc.array(member, { minLength: 1, maxLength: 4 }),
        fc.constantFrom(",", ", ", " ,\t"),
        (members, comma) => {
          const field = members
            .map((m) => {
              const extra = m.extra.map(
                ([k, v]) => `;${m.spaces}${k}${v === undefined ? "" : `=${v}`}`,
              );
              const t = m.resetSeconds === undefined ? "" : `;t=${m.resetSeconds}`;
              return `${serialize(m.policy)}${extra.join("")};r=${m.remaining}${t}`;
            })
            .join(comma);
          expect(parseRateLimit({ ratelimit: field }).limits).toStrictEqual(
            members.map(({ policy, remaining, resetSeconds }) =>
              resetSeconds === undefined
                ? { policy, remaining }
                : { policy, remaining, resetSeconds },
            ),
          );
        },
      ),
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
          // A window is positive (draft-10 §3.1.3): a window of 0 is written, and read, as 1 s.
          policies: items.map(([policy, quota, windowSeconds]) => ({
            policy,
            quota,
            windowSeconds: Math.max(windowSeconds, 1),
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
