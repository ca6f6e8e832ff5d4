import type { ClockSide, MfaSessionResponse, StepUpChallenge, VerifyHint } from "@mfa-kit/protocol";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  type ActivateResult,
  type ClockCheck,
  type ClockSuspectEvent,
  type MfaGuardResult,
  type MfaServer,
  type MfaSessionClaims,
  type ProofResult,
  requireMfa,
  type SessionCheck,
  type SessionRefresh,
  type StartChallengeResult,
  type VerifyFailure,
  type VerifyFailureReason,
  type VerifyResult,
} from "./index";
import { testKit, totpCode, userWithTotp, wrong } from "./testing/fixtures";

// Type tests of the server's public results: `tsc` (npm run typecheck) fails when a result stops
// narrowing on `ok` or a field changes type; the runtime halves show the narrowing on real values.

describe("verify results", () => {
  it("are a union discriminated by ok: a session on success, a reason on failure", async () => {
    expectTypeOf<MfaServer["verify"]>().returns.toEqualTypeOf<Promise<VerifyResult>>();
    expectTypeOf<VerifyResult>().toEqualTypeOf<
      { ok: true; session: MfaSessionResponse } | VerifyFailure
    >();
    expectTypeOf<VerifyFailure["ok"]>().toEqualTypeOf<false>();
    expectTypeOf<VerifyFailure["reason"]>().toEqualTypeOf<VerifyFailureReason>();
    expectTypeOf<VerifyFailure["retryAfterMs"]>().toEqualTypeOf<number | undefined>();
    expectTypeOf<VerifyFailure["attemptsLeft"]>().toEqualTypeOf<number | undefined>();
    expectTypeOf<VerifyFailure["hint"]>().toEqualTypeOf<VerifyHint | undefined>();
    expectTypeOf<VerifyFailure["behindS"]>().toEqualTypeOf<number | undefined>();
    expectTypeOf<MfaServer["clockCheck"]>().toEqualTypeOf<ClockCheck | null>();
    expectTypeOf<ClockCheck["clockSide"]>().toEqualTypeOf<ClockSide | undefined>();
    expectTypeOf<ClockSuspectEvent["side"]>().toEqualTypeOf<"server" | undefined>();
    // The reasons an app switches on are literal members, not a widened string.
    expectTypeOf<
      "invalid_code" | "locked" | "rate_limited" | "factor_not_found" | "invalid_request"
    >().toExtend<VerifyFailureReason>();
    expectTypeOf<string>().not.toExtend<VerifyFailureReason>();

    const kit = testKit();
    const { userId, factorId, secret } = await userWithTotp(kit);
    const failed = await kit.mfa.verify({
      userId,
      factorId,
      code: wrong(totpCode(secret, kit.clock.now)),
    });
    expect(failed.ok).toBe(false);
    if (!failed.ok) {
      expectTypeOf(failed).toEqualTypeOf<VerifyFailure>();
      expect(failed.reason).toBe("invalid_code");
    }
    const passed = await kit.mfa.verify({
      userId,
      factorId,
      code: totpCode(secret, kit.clock.now),
    });
    expect(passed.ok).toBe(true);
    if (passed.ok) {
      expectTypeOf(passed.session).toEqualTypeOf<MfaSessionResponse>();
      expectTypeOf(passed.session.token).toBeString();
      expect(passed.session.token).toMatch(/^[A-Za-z0-9_-]+$/);
    }
  });

  it("of verifyOnce name the proof without a session", () => {
    expectTypeOf<MfaServer["verifyOnce"]>().returns.toEqualTypeOf<Promise<ProofResult>>();
    expectTypeOf<Extract<ProofResult, { ok: true }>>().toEqualTypeOf<{
      ok: true;
      userId: string;
      acr: string;
      amr: string[];
      factorId?: string;
    }>();
    expectTypeOf<Extract<ProofResult, { ok: false }>>().toEqualTypeOf<VerifyFailure>();
    expectTypeOf<Extract<ProofResult, { ok: true }>>().not.toHaveProperty("session");
  });

  it("of activation, challenges and refresh narrow on ok the same way", () => {
    expectTypeOf<Extract<ActivateResult, { ok: false }>>().toEqualTypeOf<VerifyFailure>();
    expectTypeOf<Extract<ActivateResult, { ok: true }>["backupCodes"]>().toEqualTypeOf<
      string[] | undefined
    >();
    expectTypeOf<Extract<StartChallengeResult, { ok: false }>["reason"]>().toEqualTypeOf<
      "factor_not_found" | "locked" | "rate_limited" | "delivery_failed" | "mfa_required"
    >();
    expectTypeOf<SessionRefresh>().toEqualTypeOf<
      { ok: true; session: MfaSessionResponse } | { ok: false; reason: "invalid_session" }
    >();
  });
});

describe("checkSession results", () => {
  it("carry the claims on success and the step-up challenge on failure", async () => {
    expectTypeOf<MfaServer["checkSession"]>().returns.toEqualTypeOf<Promise<SessionCheck>>();
    expectTypeOf<MfaServer["checkSession"]>()
      .parameter(1)
      .toEqualTypeOf<{ maxAgeMs?: number; acrValues?: string[] } | undefined>();
    type Failure = Extract<SessionCheck, { ok: false }>;
    expectTypeOf<Failure["reason"]>().toEqualTypeOf<"invalid_session" | "step_up_required">();
    expectTypeOf<Failure["challenge"]>().toEqualTypeOf<StepUpChallenge>();
    expectTypeOf<Extract<SessionCheck, { ok: true }>["claims"]>().toEqualTypeOf<MfaSessionClaims>();
    expectTypeOf<MfaSessionClaims["userId"]>().toBeString();
    expectTypeOf<MfaSessionClaims["amr"]>().toExtend<readonly string[]>();
    expectTypeOf<MfaSessionClaims["authTime"]>().toBeNumber();

    const kit = testKit();
    const { userId, factorId, secret } = await userWithTotp(kit);
    const verified = await kit.mfa.verify({
      userId,
      factorId,
      code: totpCode(secret, kit.clock.now),
    });
    if (!verified.ok) throw new Error(verified.reason);
    const live = await kit.mfa.checkSession(verified.session.token);
    if (!live.ok) throw new Error(live.reason);
    expectTypeOf(live.claims).toEqualTypeOf<MfaSessionClaims>();
    expect(live.claims.userId).toBe(userId);
    kit.tick(60_000);
    const stale = await kit.mfa.checkSession(verified.session.token, { maxAgeMs: 30_000 });
    if (stale.ok) throw new Error("a session older than maxAgeMs passed");
    expectTypeOf(stale.challenge).toEqualTypeOf<StepUpChallenge>();
    expect(stale.reason).toBe("step_up_required");
  });
});

describe("requireMfa guard results", () => {
  it("are the claims or a ready Response, never both", async () => {
    expectTypeOf(requireMfa).returns.toEqualTypeOf<(req: Request) => Promise<MfaGuardResult>>();
    expectTypeOf<MfaGuardResult>().toEqualTypeOf<
      { ok: true; claims: MfaSessionClaims; headers?: Headers } | { ok: false; response: Response }
    >();
    expectTypeOf<Extract<MfaGuardResult, { ok: false }>>().not.toHaveProperty("claims");
    expectTypeOf<Extract<MfaGuardResult, { ok: true }>>().not.toHaveProperty("response");

    const kit = testKit();
    const guard = requireMfa(kit.mfa);
    const result = await guard(new Request("https://api.example.com/transfer"));
    if (result.ok) throw new Error("a request without a session passed the guard");
    expectTypeOf(result.response).toEqualTypeOf<Response>();
    expect(result.response.status).toBe(401);
  });
});
