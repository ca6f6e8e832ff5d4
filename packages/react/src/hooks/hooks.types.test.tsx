import {
  createMfaClient,
  type MfaClient,
  type MfaSessionInfo,
  type MfaSnapshot,
  type PendingChallenge,
} from "@mfa-kit/client";
import type { ActivateFactorResponse, EnrollTotpResponse, FactorSummary } from "@mfa-kit/protocol";
import { renderHook } from "@testing-library/react";
import type { ReactNode } from "react";
import { describe, expect, expectTypeOf, it } from "vitest";
import { MfaProvider } from "../MfaProvider";
import { type EnrollmentState, type EnrollmentStep, useEnrollment } from "./useEnrollment";
import { type FactorsState, useFactors } from "./useFactors";
import { type MfaState, useMfa } from "./useMfa";
import { type StepUpState, useStepUp } from "./useStepUp";

// Type tests of the hooks' return types: `tsc` (npm run typecheck) fails when a field or action
// changes type; the runtime half renders each hook inside a provider.

describe("hook return types", () => {
  it("useMfa: the snapshot with the client, a countdown and signOut; a selector's own type", () => {
    // Functions never called: a hook runs only inside a component.
    const whole = () => useMfa();
    const picked = () => useMfa((s) => s.session !== null);
    expectTypeOf(whole).returns.toEqualTypeOf<MfaState>();
    expectTypeOf(picked).returns.toEqualTypeOf<boolean>();
    expectTypeOf<MfaState>().toMatchTypeOf<MfaSnapshot>();
    expectTypeOf<MfaState["client"]>().toEqualTypeOf<MfaClient>();
    expectTypeOf<MfaState["rateLimitedForMs"]>().toEqualTypeOf<number | null>();
    expectTypeOf<MfaState["signOut"]>().returns.toEqualTypeOf<Promise<void>>();
  });

  it("useStepUp: the pending challenge, its factors and the actions answering it", () => {
    expectTypeOf(useStepUp).returns.toEqualTypeOf<StepUpState>();
    expectTypeOf<StepUpState["challenge"]>().toEqualTypeOf<PendingChallenge | null>();
    expectTypeOf<StepUpState["factors"]>().toEqualTypeOf<FactorSummary[]>();
    expectTypeOf<StepUpState["submitCode"]>().toEqualTypeOf<(code: string) => boolean>();
    expectTypeOf<StepUpState["submitBackupCode"]>().toEqualTypeOf<(code: string) => boolean>();
    expectTypeOf<StepUpState["sendCode"]>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<StepUpState["useWebAuthn"]>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<StepUpState["stepUp"]>().returns.toEqualTypeOf<Promise<MfaSessionInfo>>();
    expectTypeOf<StepUpState["attemptsLeft"]>().toEqualTypeOf<number | null>();
    expectTypeOf<StepUpState["error"]>().toEqualTypeOf<Error | null>();
  });

  it("useFactors: the list, the backup codes left and the changes, each telling whether it took", () => {
    expectTypeOf(useFactors).returns.toEqualTypeOf<FactorsState>();
    expectTypeOf<FactorsState["factors"]>().toEqualTypeOf<FactorSummary[]>();
    expectTypeOf<FactorsState["backupCodesRemaining"]>().toEqualTypeOf<number | null>();
    expectTypeOf<FactorsState["remove"]>().toEqualTypeOf<(factorId: string) => Promise<boolean>>();
    expectTypeOf<FactorsState["rename"]>().returns.toEqualTypeOf<Promise<boolean>>();
    expectTypeOf<FactorsState["regenerateBackupCodes"]>().returns.toEqualTypeOf<
      Promise<string[] | null>
    >();
    expectTypeOf<FactorsState["registerWebAuthn"]>().returns.toEqualTypeOf<
      Promise<FactorSummary | null>
    >();
  });

  it("useEnrollment: the steps, the secret and the activation", () => {
    expectTypeOf(useEnrollment).returns.toEqualTypeOf<EnrollmentState>();
    expectTypeOf<EnrollmentStep>().toEqualTypeOf<
      "idle" | "starting" | "confirm" | "activating" | "done"
    >();
    expectTypeOf<EnrollmentState["totp"]>().toEqualTypeOf<EnrollTotpResponse | null>();
    expectTypeOf<EnrollmentState["confirm"]>().returns.toEqualTypeOf<
      Promise<ActivateFactorResponse | null>
    >();
    expectTypeOf<EnrollmentState["reset"]>().toEqualTypeOf<() => void>();
  });

  it("are what the hooks give inside a provider", () => {
    const mfa = createMfaClient({ baseUrl: "https://api.example.com" });
    const wrapper = ({ children }: { children: ReactNode }) => (
      <MfaProvider client={mfa}>{children}</MfaProvider>
    );
    const { result } = renderHook(
      () => ({ state: useMfa(), stepUp: useStepUp(), enrollment: useEnrollment() }),
      { wrapper },
    );
    expect(result.current.state.client).toBe(mfa);
    expect(result.current.stepUp.challenge).toBeNull();
    expect(result.current.enrollment.step).toBe("idle");
  });
});
