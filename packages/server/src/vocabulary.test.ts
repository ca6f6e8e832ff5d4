import { type MfaProblemName, problemName } from "@mfa-kit/protocol";
import { MfaOptionError, MfaProblemTable, MfaRouteTable } from "@mfa-kit/protocol/vocabulary";
import { describe, expect, it } from "vitest";
import { createMfaHandler } from "./http/handler";
import { verifyFailure } from "./http/responses";
import { createMfaServer } from "./server";
import { testKit } from "./testing/fixtures";
import { testHandler } from "./testing/http";
import type { VerifyFailureReason } from "./verify";

// Every reason a verification fails with, and the problem of the protocol's table that answers it.
// A reason added to `VerifyFailureReason` and not here does not build; one answered with a problem
// the table lacks, or with another status than the table's, fails.
const ANSWER: Record<VerifyFailureReason, { name: MfaProblemName; status?: number }> = {
  invalid_code: { name: "invalid_code" },
  code_expired: { name: "code_expired" },
  code_reused: { name: "code_reused" },
  resync_required: { name: "invalid_code" },
  invalid_request: { name: "invalid_request" },
  factor_not_found: { name: "factor_not_found" },
  locked: { name: "locked" },
  // No countdown: a 403, until a security key or a backup code succeeds.
  suspended: { name: "locked", status: 403 },
  rate_limited: { name: "rate_limited" },
  mfa_required: { name: "mfa_required" },
  factors_changed: { name: "service_unavailable" },
  additional_factor_required: { name: "mfa_required" },
};

describe("the server's failure reasons", () => {
  const mfa = createMfaServer({ issuer: "Acme" });
  const policy = { maxFailures: 3, windowMs: 300_000 };

  it.each(Object.entries(ANSWER) as [VerifyFailureReason, (typeof ANSWER)[VerifyFailureReason]][])(
    "answer %s with a problem of the protocol's table",
    async (reason, expected) => {
      const res = verifyFailure(mfa, { ok: false, reason, retryAfterMs: 2000 }, policy);
      const body = await res.json();
      const name = problemName(body);
      expect(name).toBe(expected.name);
      expect(body.type).toBe(MfaProblemTable[expected.name].type);
      expect(res.status).toBe(expected.status ?? MfaProblemTable[expected.name].status);
      expect(body.status).toBe(res.status);
      // A reason named after a problem is answered with that very problem.
      if (reason in MfaProblemTable) expect(name).toBe(reason);
    },
  );
});

describe("the handler's routes", () => {
  it("answer each route of the protocol's table on its method only", async () => {
    const { call } = testHandler(testKit());
    for (const [name, route] of Object.entries(MfaRouteTable)) {
      const path = `/mfa${route.path.replace(":factorId", "f1")}`;
      const other = route.method === "POST" ? "PUT" : "POST";
      const wrong = await call(other, path);
      expect(wrong.status, name).toBe(405);
      expect(wrong.headers.get("allow")?.split(", "), name).toContain(route.method);
      const right = await call(route.method, path, {
        body: route.method === "GET" ? undefined : {},
      });
      // Past the router: whatever the handler then says of the empty request, it is not a 405.
      expect(right.status, name).not.toBe(405);
      expect(right.body.detail, name).not.toBe("No such MFA route.");
    }
  });
});

describe("a bad option", () => {
  const thrown = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return error;
    }
    throw new Error("nothing thrown");
  };

  it.each([
    ["issuer", () => createMfaServer({} as never)],
    ["totp.digits", () => createMfaServer({ issuer: "A", totp: { digits: 7 as 6 } })],
    ["limits.maxFailures", () => createMfaServer({ issuer: "A", limits: { maxFailures: 0 } })],
    [
      "encryptionKeys.current",
      () => createMfaServer({ issuer: "A", encryptionKeys: { current: "k9", keys: {} } }),
    ],
    [
      "webhooks[0].url",
      () =>
        createMfaServer({ issuer: "A", webhooks: [{ url: "nope", secret: "whsec_x" }] as never }),
    ],
    ["authenticate", () => createMfaHandler(createMfaServer({ issuer: "A" }), {} as never)],
    [
      "cors.origins",
      () =>
        createMfaHandler(createMfaServer({ issuer: "A" }), {
          authenticate: () => null,
          cors: { origins: ["*"] },
        }),
    ],
  ])("throws an MfaOptionError naming %s", (option, fn) => {
    const error = thrown(fn);
    expect(error).toBeInstanceOf(MfaOptionError);
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({
      option,
      message: expect.stringContaining(option.split("[")[0]!),
    });
  });
});
