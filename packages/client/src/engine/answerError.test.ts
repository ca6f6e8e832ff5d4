import { MfaProblemTypes } from "@mfa-kit/protocol";
import { describe, expect, it } from "vitest";
import { answerError } from "./answerError";

const NOW = Date.UTC(2030, 0, 1);
const problem = (name: keyof typeof MfaProblemTypes, status: number, extra = {}) => ({
  type: MfaProblemTypes[name],
  title: "Title",
  status,
  ...extra,
});
const answer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  answerError({ status, headers: new Headers(headers), body }, NOW);

describe("answerError", () => {
  it("calls a lock or rate limit LOCKED, with Retry-After read on the server's clock", () => {
    const locked = answer(429, problem("locked", 429, { detail: "Wait." }), {
      "Retry-After": "30",
    });
    expect(locked).toMatchObject({
      code: "LOCKED",
      message: "Wait.",
      status: 429,
      retryAfterMs: 30_000,
    });
    const date = new Date(NOW + 12_000).toUTCString();
    expect(answer(429, {}, { "Retry-After": date })).toMatchObject({
      code: "LOCKED",
      message: "HTTP 429",
      retryAfterMs: 12_000,
    });
    // a 403 suspension is a lock too, and the body's retryAfter stands in for the header
    expect(answer(403, problem("locked", 403, { retryAfter: 4 }))).toMatchObject({
      code: "LOCKED",
      message: "Title",
      retryAfterMs: 4_000,
    });
    expect(answer(400, problem("rate_limited", 400))).toMatchObject({ code: "LOCKED" });
    expect(answer(429, problem("locked", 429))?.retryAfterMs).toBeUndefined();
  });

  it("calls a 5xx DELIVERY_FAILED or SERVICE_UNAVAILABLE, never a lock", () => {
    expect(answer(502, problem("delivery_failed", 502, { retryAfter: 60 }))).toMatchObject({
      code: "DELIVERY_FAILED",
      retryAfterMs: 60_000,
    });
    expect(answer(500, null)).toMatchObject({ code: "SERVICE_UNAVAILABLE", message: "HTTP 500" });
    expect(answer(503, problem("service_unavailable", 503), { "Retry-After": "2" })).toMatchObject({
      code: "SERVICE_UNAVAILABLE",
      retryAfterMs: 2_000,
    });
    expect(answer(499, null)).toBeNull();
  });

  it("calls a 401 mfa_required with additionalFactor ADDITIONAL_FACTOR_REQUIRED, nothing else", () => {
    expect(answer(401, problem("mfa_required", 401, { additionalFactor: true }))).toMatchObject({
      code: "ADDITIONAL_FACTOR_REQUIRED",
    });
    expect(answer(401, problem("mfa_required", 401, { additionalFactor: "yes" }))).toBeNull();
    expect(answer(401, problem("mfa_required", 401))).toBeNull();
    expect(answer(403, problem("mfa_required", 403, { additionalFactor: true }))).toBeNull();
  });

  it("calls a 400, 404 or 422 INVALID_CODE with the attempts left, and other statuses nothing", () => {
    expect(
      answer(400, problem("invalid_code", 400, { detail: "Wrong.", attemptsLeft: 2 })),
    ).toMatchObject({ code: "INVALID_CODE", message: "Wrong.", attemptsLeft: 2, status: 400 });
    expect(answer(404, problem("factor_not_found", 404))).toMatchObject({ code: "INVALID_CODE" });
    expect(answer(422, "not a problem")).toMatchObject({
      code: "INVALID_CODE",
      message: "HTTP 422",
      problem: null,
    });
    for (const status of [401, 403, 409, 410]) expect(answer(status, {})).toBeNull();
  });
});
