import { describe, expect, it } from "vitest";
import { CORS_EXPOSED_HEADERS, CORS_REQUEST_HEADERS } from "./cors";

describe("the CORS header lists", () => {
  it("allow every header the client sends", () => {
    expect(CORS_REQUEST_HEADERS).toStrictEqual([
      "Authorization",
      "Content-Type",
      "X-Session-Token",
      "X-MFA-Token",
      "Idempotency-Key",
    ]);
  });

  it("expose every header the client reads, the server's clock included", () => {
    expect(CORS_EXPOSED_HEADERS).toStrictEqual([
      "WWW-Authenticate",
      "Retry-After",
      "RateLimit",
      "RateLimit-Policy",
      "Date",
    ]);
  });
});
