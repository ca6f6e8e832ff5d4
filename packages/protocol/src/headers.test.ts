import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { anyString } from "./fuzz.testkit";
import { headerValue, MfaHeaders } from "./headers";
import { splitList } from "./list";

describe("MfaHeaders", () => {
  it("spells the header names of the wire contract", () => {
    expect(MfaHeaders).toMatchObject({
      authorization: "Authorization",
      sessionToken: "X-Session-Token",
      mfaToken: "X-MFA-Token",
      idempotencyKey: "Idempotency-Key",
    });
    // every name is a valid field name (an RFC 9110 token)
    for (const name of Object.values(MfaHeaders)) expect(name).toMatch(/^[\w!#$%&'*+.^`|~-]+$/);
  });
});

describe("headerValue", () => {
  it("reads a Headers object", () => {
    const headers = new Headers({ "Retry-After": "5" });
    expect(headerValue(headers, "retry-after")).toBe("5");
    expect(headerValue(headers, "RateLimit")).toBeUndefined();
  });

  it("reads a plain record case-insensitively, joining arrays and ignoring non-strings", () => {
    expect(headerValue({ "Retry-After": "5" }, "retry-after")).toBe("5");
    expect(headerValue({ "retry-after": "5" }, "Retry-After")).toBe("5");
    expect(headerValue({ "www-authenticate": ["Basic", "Bearer"] }, "www-authenticate")).toBe(
      "Basic, Bearer",
    );
    expect(headerValue({ "retry-after": 5 }, "retry-after")).toBeUndefined();
    expect(headerValue(null, "retry-after")).toBeUndefined();
  });
});

describe("splitList", () => {
  it("splits on commas outside quoted strings, trimming and dropping empty elements", () => {
    expect(splitList(' a , "b, \\"c\\"" ,, d;e ')).toEqual(["a", '"b, \\"c\\""', "d;e"]);
    expect(splitList('a;"b;c";d', ";")).toEqual(["a", '"b;c"', "d"]);
    expect(splitList('a, "unterminated, b')).toEqual(["a", '"unterminated, b']);
    expect(splitList(undefined)).toEqual([]);
  });

  it("never throws and keeps every non-space character outside the separators", () => {
    fc.assert(
      fc.property(anyString, (value) => {
        const parts = splitList(value);
        expect(parts.join("").replace(/[\s,]/g, "")).toBe(value.replace(/[\s,]/g, ""));
      }),
    );
  });
});
