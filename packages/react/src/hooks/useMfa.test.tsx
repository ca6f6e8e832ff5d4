import { createMfaClient } from "@mfa-kit/client";
import { act, renderHook, waitFor } from "@testing-library/react";
import { HttpResponse, http } from "msw";
import type { ReactNode } from "react";
import { describe, expect, it } from "vitest";
import { MfaProvider } from "../MfaProvider";
import { startMswServer } from "../test/msw";
import { ORIGIN, referenceApi } from "../test/referenceApi";
import { useMfa } from "./useMfa";
import { useStepUp } from "./useStepUp";

const server = startMswServer();

function setup() {
  const api = referenceApi();
  server.use(...api.handlers);
  const mfa = createMfaClient({ getAccessToken: () => "primary-token" });
  const wrapper = ({ children }: { children: ReactNode }) => (
    <MfaProvider client={mfa}>{children}</MfaProvider>
  );
  const view = renderHook(() => ({ mfa: useMfa(), stepUp: useStepUp() }), { wrapper });
  return { api, mfa, ...view };
}

describe("useMfa", () => {
  it("follows the client's snapshot: the pending challenge, the session after verifying, none after sign-out", async () => {
    const { result, mfa, api } = setup();
    expect(result.current.mfa.session).toBeNull();
    expect(result.current.mfa.status).toBe("idle");
    expect(result.current.mfa.client).toBe(mfa);

    const call = mfa.fetch("/api/data");
    await waitFor(() => expect(result.current.stepUp.challenge).not.toBeNull());
    await waitFor(() => expect(result.current.stepUp.busy).toBe(false));
    expect(result.current.mfa.pendingChallenge?.factors.map((f) => f.id)).toEqual(["f-totp"]);
    expect(result.current.mfa.status).toBe("challenge");

    act(() => {
      expect(result.current.stepUp.submitCode("123 456")).toBe(true);
    });
    await expect(call).resolves.toMatchObject({ status: 200 });
    await waitFor(() => expect(result.current.mfa.pendingChallenge).toBeNull());
    expect(result.current.mfa.session).toMatchObject({ acr: "mfa", amr: ["otp"] });
    expect(result.current.mfa.session).not.toHaveProperty("token");

    await act(() => result.current.mfa.signOut());
    expect(api.calls.signOut).toBe(1);
    expect(api.state.sessions.size).toBe(0);
    expect(result.current.mfa.session).toBeNull();
  });

  it("signs out locally even when the server cannot be reached", async () => {
    const { result, mfa } = setup();
    const call = mfa.fetch("/api/data");
    await waitFor(() => expect(result.current.stepUp.challenge).not.toBeNull());
    await waitFor(() => expect(result.current.stepUp.busy).toBe(false));
    act(() => void result.current.stepUp.submitCode("123456"));
    await call;
    await waitFor(() => expect(result.current.mfa.session).not.toBeNull());

    server.use(http.post(`${ORIGIN}/mfa/signout`, () => HttpResponse.error()));
    await act(() => result.current.mfa.signOut().catch(() => {}));
    expect(result.current.mfa.session).toBeNull();
  });

  it("with a selector, re-renders only when what it picks changes", async () => {
    const api = referenceApi();
    server.use(...api.handlers);
    const mfa = createMfaClient({ getAccessToken: () => "primary-token" });
    const wrapper = ({ children }: { children: ReactNode }) => (
      <MfaProvider client={mfa}>{children}</MfaProvider>
    );
    let renders = 0;
    const picked = renderHook(
      () => {
        renders++;
        return useMfa((s) => s.session !== null);
      },
      { wrapper },
    );
    const all = renderHook(() => ({ mfa: useMfa(), stepUp: useStepUp() }), { wrapper });
    expect(picked.result.current).toBe(false);
    const before = renders;

    // A challenge, its factors, a verification, a status change: many snapshots...
    const call = mfa.fetch("/api/data");
    await waitFor(() => expect(all.result.current.stepUp.challenge).not.toBeNull());
    await waitFor(() => expect(all.result.current.stepUp.busy).toBe(false));
    act(() => void all.result.current.stepUp.submitCode("123456"));
    await call;
    await waitFor(() => expect(picked.result.current).toBe(true));
    // ...and one re-render: when there came to be a session.
    expect(renders - before).toBe(1);
    // A selector building a new object each time does not loop.
    const objects = renderHook(() => useMfa((s) => ({ signedIn: s.session !== null })), {
      wrapper,
    });
    expect(objects.result.current).toEqual({ signedIn: true });
  });
});
