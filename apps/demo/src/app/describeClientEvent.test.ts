import { MfaError } from "@mfa-kit/client";
import { describe, expect, test } from "vitest";
import { errorText } from "../ui/errorText";
import { describeClientEvent } from "./describeClientEvent";

const retry = (status: number) =>
  describeClientEvent({
    type: "request.retry",
    attempt: 1,
    delayMs: 2000,
    reason: "status",
    status,
    method: "GET",
    url: "http://127.0.0.1/api/profile",
  }).text;

describe("the words for the client's retries", () => {
  // Regression: a 503's Retry-After was logged as "Rate limited".
  test("a 503 retry reads as unavailable, a 429 retry as rate limited", () => {
    expect(retry(503)).toBe("Retry 1 of GET /api/profile in 2.0 s (answered 503: unavailable).");
    expect(retry(429)).toBe("Retry 1 of GET /api/profile in 2.0 s (answered 429: rate limited).");
    const wait = describeClientEvent({ type: "ratelimit.wait", untilMs: Date.now() + 2000 }).text;
    expect(wait).toMatch(/^The server asked to wait \(Retry-After\)/);
    expect(wait).not.toMatch(/rate limited/i);
  });

  // Regression: a 429 through every retry was worded as the server being unavailable.
  test("retries given up on a 429 speak of a limit, on a 503 of an outage", () => {
    const gaveUp = (status: number) =>
      errorText(new MfaError("RETRY_EXHAUSTED", "Gave up after 3 attempts.", { status }));
    expect(gaveUp(429)).toMatch(/limiting requests \(429 Too Many Requests\)/);
    expect(gaveUp(429)).not.toMatch(/unavailable/);
    expect(gaveUp(503)).toMatch(/unavailable/);
  });
});
