import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { anyString } from "./fuzz.testkit";
import { parseHttpDate, parseRetryAfter } from "./retryAfter";

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const RFC_EXAMPLE = Date.UTC(1994, 10, 6, 8, 49, 37); // Sun, 06 Nov 1994 08:49:37 GMT

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

// The two other formats of RFC 9110 §5.6.7, written from an IMF-fixdate.
const toAsctime = (imf: string) =>
  imf.replace(/^(\w+), (\d\d) (\w+) (\d+) (\S+) GMT$/, (_, day, dd, mon, year, time) => {
    return `${day} ${mon} ${dd.replace(/^0/, " ")} ${time} ${year}`;
  });
const toRfc850 = (imf: string) =>
  imf.replace(/^(\w+), (\d\d) (\w+) \d\d(\d\d) (\S+) GMT$/, (_, day, dd, mon, yy, time) => {
    return `${DAYS.find((d) => d.startsWith(day))}, ${dd}-${mon}-${yy} ${time} GMT`;
  });

describe("parseHttpDate", () => {
  it("reads the three formats of the RFC 9110 §5.6.7 example as the same instant", () => {
    expect(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT", NOW)).toBe(RFC_EXAMPLE);
    expect(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT", NOW)).toBe(RFC_EXAMPLE);
    expect(parseHttpDate("Sun Nov  6 08:49:37 1994", NOW)).toBe(RFC_EXAMPLE);
  });

  it("reads a two-digit RFC 850 year as the one within 50 years of now, both ways", () => {
    const year = (yy: string, now: number) =>
      new Date(parseHttpDate(`Thursday, 01-Jan-${yy} 00:00:00 GMT`, now)!).getUTCFullYear();
    expect(year("94", NOW)).toBe(1994);
    expect(year("76", NOW)).toBe(2076); // 50 years ahead is not "more than 50 years in the future"
    expect(year("77", NOW)).toBe(1977); // 51 years ahead is, so it is the past century's
    expect(year("26", NOW)).toBe(2026);
    // late in a century, a small two-digit year is in the next one
    expect(year("00", Date.UTC(2099, 5, 1))).toBe(2100);
    expect(year("49", Date.UTC(1999, 5, 1))).toBe(2049);
    expect(year("50", Date.UTC(1999, 5, 1))).toBe(1950);
  });

  it("rejects impossible dates and times", () => {
    for (const value of [
      "Thu, 31 Feb 1994 08:49:37 GMT",
      "Thu, 29 Feb 1900 08:49:37 GMT", // 1900 is not a leap year
      "Sun, 00 Nov 1994 08:49:37 GMT",
      "Sun, 32 Dec 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 24:00:00 GMT",
      "Sun, 06 Nov 1994 08:60:00 GMT",
      "Sun, 06 Nov 1994 08:49:61 GMT",
      "Sun, 06 Foo 1994 08:49:37 GMT",
      "Sunday, 31-Apr-94 08:49:37 GMT",
      "Sun Feb 30 08:49:37 1994",
    ]) {
      expect(parseHttpDate(value, NOW)).toBeNull();
    }
    expect(parseHttpDate("Tue, 29 Feb 2000 00:00:00 GMT", NOW)).toBe(Date.UTC(2000, 1, 29));
  });

  it("rejects what is not one of the three formats", () => {
    for (const value of [
      "Sun, 06 Nov 1994 08:49:37 UTC",
      "Sun, 06 Nov 1994 08:49:37 +0000",
      "sun, 06 nov 1994 08:49:37 gmt", // HTTP-date is case-sensitive
      "Sun, 6 Nov 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 8:49:37 GMT",
      "Sun,  06 Nov 1994 08:49:37 GMT",
      "1994-11-06T08:49:37Z",
      "Sun Nov 6 08:49:37 1994",
      "Sunday, 06-Nov-1994 08:49:37 GMT",
      "784111777",
      "Invalid Date",
      "xxxalid Date",
      "Fri, 01 Jan 0094 00:00:00 GMT", // years before 100 are not read
      "",
      null,
      undefined,
    ]) {
      expect(parseHttpDate(value, NOW)).toBeNull();
    }
  });

  it("counts a leap second as the second before it", () => {
    expect(parseHttpDate("Sat, 31 Dec 2016 23:59:60 GMT", NOW)).toBe(
      Date.UTC(2016, 11, 31, 23, 59, 59),
    );
  });

  it("does not check the day name, as RFC 9110 encourages robustness", () => {
    expect(parseHttpDate("Mon, 06 Nov 1994 08:49:37 GMT", NOW)).toBe(RFC_EXAMPLE);
  });

  it("reads whatever toUTCString prints, and the asctime and RFC 850 forms of it", () => {
    const instant = fc.integer({
      min: Date.UTC(100, 0, 1),
      max: Date.UTC(9999, 11, 31, 23, 59, 59),
    });
    fc.assert(
      fc.property(instant, (t) => {
        const imf = new Date(t).toUTCString();
        const seconds = Math.floor(t / 1000) * 1000;
        expect(parseHttpDate(imf, NOW)).toBe(seconds);
        expect(parseHttpDate(toAsctime(imf), NOW)).toBe(seconds);
      }),
    );
    const nearNow = fc.integer({
      min: NOW - 49 * 365 * 86_400_000,
      max: NOW + 49 * 365 * 86_400_000,
    });
    fc.assert(
      fc.property(nearNow, (t) => {
        const rfc850 = toRfc850(new Date(t).toUTCString());
        expect(parseHttpDate(rfc850, NOW)).toBe(Math.floor(t / 1000) * 1000);
      }),
    );
  });

  it("never throws on arbitrary strings", () => {
    fc.assert(
      fc.property(anyString, fc.integer(), (value, now) => {
        const date = parseHttpDate(value, now);
        expect(date === null || Number.isInteger(date)).toBe(true);
      }),
    );
  });
});

describe("parseRetryAfter", () => {
  it("reads the RFC 9110 §10.2.3 examples", () => {
    expect(parseRetryAfter("120", NOW)).toBe(120_000);
    expect(parseRetryAfter("Fri, 31 Dec 1999 23:59:59 GMT", NOW)).toBe(0);
    expect(
      parseRetryAfter("Fri, 31 Dec 1999 23:59:59 GMT", Date.UTC(1999, 11, 31, 23, 59, 0)),
    ).toBe(59_000);
  });

  it("measures an HTTP-date in any of the three formats from now", () => {
    const now = RFC_EXAMPLE - 30_000;
    expect(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Sun Nov  6 08:49:37 1994", now)).toBe(30_000);
  });

  it("defaults now to Date.now()", () => {
    const inAMinute = new Date(Date.now() + 61_000).toUTCString();
    const ms = parseRetryAfter(inAMinute)!;
    expect(ms).toBeGreaterThan(55_000);
    expect(ms).toBeLessThanOrEqual(61_000);
  });

  it("accepts surrounding whitespace and leading zeros", () => {
    expect(parseRetryAfter(" 30 ", NOW)).toBe(30_000);
    expect(parseRetryAfter("007", NOW)).toBe(7_000);
    expect(parseRetryAfter("0", NOW)).toBe(0);
  });

  it("counts delta-seconds beyond 2^31 as 2^31 seconds (RFC 9111 §1.2.2)", () => {
    expect(parseRetryAfter("2147483649", NOW)).toBe(2 ** 31 * 1000);
    expect(parseRetryAfter("9".repeat(400), NOW)).toBe(2 ** 31 * 1000);
  });

  it("gives null for negative, fractional, signed or garbage values", () => {
    for (const value of [
      "-1",
      "1.5",
      "+5",
      "1e3",
      "0x10",
      "12 s",
      "",
      "   ",
      "soon",
      null,
      undefined,
    ]) {
      expect(parseRetryAfter(value, NOW)).toBeNull();
    }
  });

  it("reads any delta-seconds", () => {
    fc.assert(
      fc.property(fc.nat(), (seconds) => {
        expect(parseRetryAfter(String(seconds), NOW)).toBe(Math.min(seconds, 2 ** 31) * 1000);
      }),
    );
  });

  it("reads any date printed by toUTCString as the time left until it, or 0", () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(100, 0, 1), max: 253_402_300_799_000 }), (t) => {
        const expected = Math.max(0, Math.floor(t / 1000) * 1000 - NOW);
        expect(parseRetryAfter(new Date(t).toUTCString(), NOW)).toBe(expected);
      }),
    );
  });

  it("never throws on arbitrary strings and never gives a negative wait", () => {
    fc.assert(
      fc.property(anyString, (value) => {
        const ms = parseRetryAfter(value, NOW);
        expect(ms === null || ms >= 0).toBe(true);
      }),
    );
  });
});
