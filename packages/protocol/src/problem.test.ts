import { describe, expect, it } from "vitest";
import {
  isProblem,
  type MfaProblemName,
  MfaProblemTypes,
  PROBLEM_CONTENT_TYPE,
  problem,
  problemName,
} from "./problem";

const NAMES = Object.keys(MfaProblemTypes) as MfaProblemName[];

describe("MfaProblemTypes", () => {
  it("has a stable URN for each of the thirteen problems of the reference API", () => {
    expect(MfaProblemTypes).toStrictEqual({
      mfa_required: "urn:mfa-kit:problem:mfa-required",
      step_up_required: "urn:mfa-kit:problem:step-up-required",
      invalid_code: "urn:mfa-kit:problem:invalid-code",
      code_expired: "urn:mfa-kit:problem:code-expired",
      code_reused: "urn:mfa-kit:problem:code-reused",
      rate_limited: "urn:mfa-kit:problem:rate-limited",
      locked: "urn:mfa-kit:problem:locked",
      factor_not_found: "urn:mfa-kit:problem:factor-not-found",
      invalid_session: "urn:mfa-kit:problem:invalid-session",
      invalid_request: "urn:mfa-kit:problem:invalid-request",
      service_unavailable: "urn:mfa-kit:problem:service-unavailable",
      delivery_failed: "urn:mfa-kit:problem:delivery-failed",
      internal_error: "urn:mfa-kit:problem:internal-error",
    });
  });
});

describe("problem", () => {
  // Regression: a store outage and a failed delivery were answered as `rate_limited`, which
  // clients read as a lock; each now has a type of its own.
  it("tells an outage, a failed delivery and a fault apart by type and status", () => {
    expect(problem("service_unavailable")).toMatchObject({
      title: "Service unavailable",
      status: 503,
    });
    expect(problem("delivery_failed")).toMatchObject({ title: "Delivery failed", status: 502 });
    expect(problem("internal_error")).toMatchObject({ title: "Internal error", status: 500 });
  });

  it("builds RFC 9457 problem details with the usual status and a title", () => {
    expect(problem("locked", { retryAfter: 30 })).toStrictEqual({
      type: "urn:mfa-kit:problem:locked",
      title: "Locked",
      status: 429,
      retryAfter: 30,
    });
    expect(problem("mfa_required")).toMatchObject({ title: "MFA required", status: 401 });
    expect(problem("factor_not_found")).toMatchObject({ title: "Factor not found", status: 404 });
    expect(problem("invalid_code", { attemptsLeft: 2 })).toMatchObject({
      title: "Invalid code",
      status: 400,
      attemptsLeft: 2,
    });
  });

  it("gives every problem a 4xx status (5xx for the server's own faults) and a sentence-case title", () => {
    const serverFaults = ["service_unavailable", "delivery_failed", "internal_error"];
    for (const name of NAMES) {
      const { status, title } = problem(name);
      expect(status).toBeGreaterThanOrEqual(serverFaults.includes(name) ? 500 : 400);
      expect(status).toBeLessThan(serverFaults.includes(name) ? 600 : 500);
      expect(title).toMatch(/^[A-Z][A-Za-z ]+$/);
    }
  });

  it("lets extension members override the defaults", () => {
    expect(problem("invalid_request", { status: 413, detail: "Body too large" })).toStrictEqual({
      type: MfaProblemTypes.invalid_request,
      title: "Invalid request",
      status: 413,
      detail: "Body too large",
    });
  });

  it("survives JSON and is served as application/problem+json", () => {
    const body = JSON.parse(JSON.stringify(problem("step_up_required", { maxAge: 0 })));
    expect(isProblem(body)).toBe(true);
    expect(problemName(body)).toBe("step_up_required");
    expect(PROBLEM_CONTENT_TYPE).toBe("application/problem+json");
  });
});

describe("isProblem", () => {
  it("accepts an object with a string type", () => {
    expect(isProblem({ type: "about:blank" })).toBe(true);
    // RFC 9457 §3.1: a member of the wrong type is ignored, it does not disqualify the object
    expect(isProblem({ type: "x", status: "400" })).toBe(true);
  });

  it("rejects anything else", () => {
    for (const body of [null, undefined, "x", 42, [], {}, { type: 1 }, { title: "Oops" }]) {
      expect(isProblem(body)).toBe(false);
    }
  });
});

describe("problemName", () => {
  it("names each problem type and nothing else", () => {
    for (const name of NAMES) expect(problemName(problem(name))).toBe(name);
    for (const body of [
      null,
      "x",
      {},
      { type: "about:blank" },
      { type: "urn:mfa-kit:problem:invalid_code" },
      { type: "urn:mfa-kit:problem:__proto__" },
      { type: "urn:mfa-kit:problem:constructor" },
    ]) {
      expect(problemName(body)).toBeUndefined();
    }
  });
});
