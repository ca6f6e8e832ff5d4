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
  it("has a stable URN for each of the ten problems of the reference API", () => {
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
    });
  });
});

describe("problem", () => {
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

  it("gives every problem a 4xx status and a sentence-case title", () => {
    for (const name of NAMES) {
      const { status, title } = problem(name);
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(500);
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
