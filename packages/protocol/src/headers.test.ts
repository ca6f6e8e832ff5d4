import { describe, expect, it } from "vitest";
import { headerValue, MfaHeaders } from "./headers";

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
