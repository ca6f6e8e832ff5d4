import { describe, expect, it } from "vitest";
import { type MfaProblemName, MfaProblemTypes, problem } from "./problem";
import { MfaRoutes } from "./routes";
import { CODE_FACTOR_TYPES, MfaOptionError, MfaProblemTable, MfaRouteTable } from "./vocabulary";

describe("MfaProblemTable", () => {
  it("lists every problem once, with the type URI and status problem() gives it", () => {
    expect(Object.keys(MfaProblemTable)).toEqual(Object.keys(MfaProblemTypes));
    for (const [name, info] of Object.entries(MfaProblemTable)) {
      const built = problem(name as MfaProblemName);
      expect(info).toMatchObject({ name, type: built.type, status: built.status });
    }
  });

  it("gives each problem the code of the MfaError a client rejects with", () => {
    const codes = Object.fromEntries(
      Object.values(MfaProblemTable).map((info) => [info.name, info.clientCode]),
    );
    expect(codes).toStrictEqual({
      mfa_required: "STEP_UP_REQUIRED",
      step_up_required: "STEP_UP_REQUIRED",
      invalid_code: "INVALID_CODE",
      code_expired: "INVALID_CODE",
      code_reused: "INVALID_CODE",
      rate_limited: "LOCKED",
      locked: "LOCKED",
      factor_not_found: "INVALID_CODE",
      invalid_session: "STEP_UP_REQUIRED",
      invalid_request: "INVALID_CODE",
      service_unavailable: "SERVICE_UNAVAILABLE",
      delivery_failed: "DELIVERY_FAILED",
      internal_error: "SERVICE_UNAVAILABLE",
    });
    expect(MfaProblemTable.locked).toStrictEqual({
      name: "locked",
      type: "urn:mfa-kit:problem:locked",
      status: 429,
      clientCode: "LOCKED",
    });
  });
});

describe("MfaRouteTable", () => {
  it("has every route of MfaRoutes, at its path", () => {
    expect(Object.keys(MfaRouteTable)).toEqual(Object.keys(MfaRoutes));
    for (const [name, route] of Object.entries(MfaRouteTable)) {
      expect(route.path).toBe(MfaRoutes[name as keyof typeof MfaRoutes]);
    }
  });

  it("gives each route its method: one per path, reads are GET", () => {
    const methods = Object.entries(MfaRouteTable).map(([name, r]) => `${r.method} ${name}`);
    expect(methods.filter((m) => !m.startsWith("POST "))).toEqual([
      "GET listFactors",
      "DELETE removeFactor",
      "PATCH renameFactor",
    ]);
    const routes = Object.values(MfaRouteTable).map((r) => `${r.method} ${r.path}`);
    expect(new Set(routes).size).toBe(routes.length);
  });
});

describe("CODE_FACTOR_TYPES", () => {
  it("are the factor types verified with a one-time code: all but webauthn", () => {
    expect(CODE_FACTOR_TYPES).toEqual(["totp", "hotp", "sms", "email"]);
  });
});

describe("MfaOptionError", () => {
  it("is a TypeError that names the option", () => {
    const error = new MfaOptionError("retry.windowMs", "retry.windowMs must be from 0 to 1.");
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toBeInstanceOf(MfaOptionError);
    expect(error).toMatchObject({
      name: "MfaOptionError",
      option: "retry.windowMs",
      message: "retry.windowMs must be from 0 to 1.",
    });
  });

  it("is told from other errors by its class and its name", () => {
    expect(new TypeError("x")).not.toBeInstanceOf(MfaOptionError);
    expect(new MfaOptionError("a", "x").name).not.toBe(new TypeError("x").name);
  });
});
