import { createMfaClient } from "@mfa-kit/client";
import { act, renderHook } from "@testing-library/react";
import type { ReactNode } from "react";
import { describe, expect, it } from "vitest";
import { MfaProvider } from "../MfaProvider";
import { startMswServer } from "../test/msw";
import { OTPAUTH_URI, referenceApi, TOTP_SECRET, totpFactor } from "../test/referenceApi";
import { useEnrollment } from "./useEnrollment";

const server = startMswServer();

function setup(options: Parameters<typeof referenceApi>[0] = {}) {
  const api = referenceApi(options);
  server.use(...api.handlers);
  const mfa = createMfaClient({ getAccessToken: () => "primary-token" });
  const wrapper = ({ children }: { children: ReactNode }) => (
    <MfaProvider client={mfa}>{children}</MfaProvider>
  );
  return { api, ...renderHook(() => useEnrollment(), { wrapper }) };
}

describe("useEnrollment", () => {
  it("enrolls TOTP: secret and URI, a wrong first code kept in confirm, then done with backup codes", async () => {
    const { result } = setup({ factors: [] });
    expect(result.current.step).toBe("idle");
    await act(() => result.current.startTotp({ label: "alice" }));
    expect(result.current.step).toBe("confirm");
    expect(result.current.totp).toEqual({
      factorId: "f-new",
      secret: TOTP_SECRET,
      otpauthUri: OTPAUTH_URI,
    });

    let accepted: unknown;
    await act(async () => {
      accepted = await result.current.confirm("000000");
    });
    expect(accepted).toBeNull();
    expect(result.current.step).toBe("confirm");
    expect(result.current.error).toMatchObject({ status: 400 });

    await act(async () => {
      accepted = await result.current.confirm("123 456");
    });
    expect(accepted).toMatchObject({ factor: { id: "f-new" }, backupCodes: expect.any(Array) });
    expect(result.current.step).toBe("done");
    expect(result.current.error).toBeNull();
    expect(result.current.factor).toMatchObject({ id: "f-new", status: "active" });
    expect(result.current.backupCodes).toHaveLength(10);
  });

  it("enrolls an SMS number through the same hook", async () => {
    const { result, api } = setup({ factors: [totpFactor] });
    await act(() => result.current.startContact({ channel: "sms", to: "+15555550123" }));
    expect(result.current.step).toBe("confirm");
    expect(result.current.contact).toEqual({
      channel: "sms",
      to: "+15555550123",
      factorId: "f-sms-new",
      challengeId: "ch1",
    });
    await act(() => result.current.confirm("123456"));
    expect(result.current.step).toBe("done");
    expect(result.current.backupCodes).toBeNull(); // not the first factor
    expect(api.state.factors.map((f) => f.id)).toEqual(["f-totp", "f-sms-new"]);
  });

  it("goes back to idle with the error when the server refuses to start", async () => {
    const { result } = setup();
    await act(() => result.current.startContact({ channel: "sms", to: "" }));
    expect(result.current.step).toBe("idle");
    expect(result.current.error).toMatchObject({ status: 400 });
  });

  it("forgets the secret on reset", async () => {
    const { result } = setup();
    await act(() => result.current.startTotp());
    act(() => result.current.reset());
    expect(result.current.step).toBe("idle");
    expect(result.current.totp).toBeNull();
  });
});
