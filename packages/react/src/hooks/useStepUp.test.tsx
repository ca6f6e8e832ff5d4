import { createMfaClient } from "@mfa-kit/client";
import { act, renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { describe, expect, it } from "vitest";
import { MfaProvider } from "../MfaProvider";
import { startMswServer } from "../test/msw";
import { referenceApi, smsFactor, totpFactor } from "../test/referenceApi";
import { useStepUp } from "./useStepUp";

const server = startMswServer();

function setup(options: Parameters<typeof referenceApi>[0] = {}) {
  const api = referenceApi(options);
  server.use(...api.handlers);
  const mfa = createMfaClient({ getAccessToken: () => "primary-token" });
  const wrapper = ({ children }: { children: ReactNode }) => (
    <MfaProvider client={mfa}>{children}</MfaProvider>
  );
  return { api, mfa, ...renderHook(() => useStepUp(), { wrapper }) };
}

describe("useStepUp", () => {
  it("has nothing to answer until a call needs step-up", () => {
    const { result } = setup();
    expect(result.current.challenge).toBeNull();
    expect(result.current.busy).toBe(false);
    expect(result.current.submitCode("123456")).toBe(false);
    expect(result.current.submitBackupCode("aaaa-bbbb")).toBe(false);
  });

  it("exposes the challenge, its factors, and attempts left after a wrong code", async () => {
    const { result, mfa } = setup({ factors: [totpFactor, smsFactor] });
    const call = mfa.fetch("/api/data");
    await waitFor(() => expect(result.current.challenge).not.toBeNull());
    await waitFor(() => expect(result.current.busy).toBe(false));
    expect(result.current.challenge?.challenge.acrValues).toEqual(["mfa"]);
    expect(result.current.factors.map((f) => f.id)).toEqual(["f-totp", "f-sms"]);
    expect(result.current.factor?.id).toBe("f-totp");
    expect(result.current.backupCodes).toBe(true);
    expect(result.current.webauthn).toBe(false);

    act(() => void result.current.submitCode("000000"));
    await waitFor(() => expect(result.current.attemptsLeft).toBe(2));
    expect(result.current.error).toMatchObject({ code: "INVALID_CODE" });
    await waitFor(() => expect(result.current.busy).toBe(false));

    act(() => void result.current.submitCode("123456"));
    await expect(call).resolves.toMatchObject({ status: 200 });
    await waitFor(() => expect(result.current.challenge).toBeNull());
  });

  it("steps up before a sensitive action, without a failed call first", async () => {
    const { result, api } = setup();
    let done!: Promise<unknown>;
    act(() => {
      done = result.current.stepUp({ maxAge: 0 });
    });
    await waitFor(() => expect(result.current.challenge).not.toBeNull());
    await waitFor(() => expect(result.current.busy).toBe(false));
    expect(result.current.challenge).not.toBeNull();
    act(() => void result.current.submitCode("123456"));
    await done;
    expect(api.calls.verify).toBe(1);
    expect(api.calls.data).toBeUndefined();
  });

  it("sends an SMS code to the chosen factor and answers with its challenge id", async () => {
    const { result, mfa, api } = setup({ factors: [totpFactor, smsFactor] });
    const call = mfa.fetch("/api/data");
    await waitFor(() => expect(result.current.challenge).not.toBeNull());
    await waitFor(() => expect(result.current.busy).toBe(false));
    act(() => result.current.selectFactor("f-sms"));
    expect(result.current.factor?.id).toBe("f-sms");
    await act(() => result.current.sendCode());
    expect(result.current.sentCode).toMatchObject({ factorId: "f-sms", challengeId: "ch1" });
    act(() => void result.current.submitCode("123456"));
    await call;
    expect(api.state.verifyBodies).toEqual([
      { factorId: "f-sms", challengeId: "ch1", code: "123456" },
    ]);
  });
});
