import { screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { StepUpModal } from "../components/StepUpModal";
import { startMswServer } from "../test/msw";
import { keyFactor, smsFactor, totpFactor } from "../test/referenceApi";
import { renderWithMfa } from "../test/render";
import { useFactors } from "./useFactors";

const server = startMswServer();

function FactorList({ onRegistered }: { onRegistered?: (f: unknown) => void }) {
  const { factors, loading, error, remove, registerWebAuthn, backupCodesRemaining } = useFactors();
  if (loading && factors.length === 0) return <p>Loading…</p>;
  return (
    <>
      {error && <p role="alert">{error.message}</p>}
      <p>{backupCodesRemaining} backup codes left</p>
      <ul aria-label="Factors">
        {factors.map((f) => (
          <li key={f.id}>
            {f.id}
            <button type="button" onClick={() => void remove(f.id)}>
              Remove {f.id}
            </button>
          </li>
        ))}
      </ul>
      <button type="button" onClick={async () => onRegistered?.(await registerWebAuthn("Key"))}>
        Add key
      </button>
    </>
  );
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("useFactors", () => {
  it("lists the factors and backup codes left", async () => {
    renderWithMfa(<FactorList />, server, { factors: [totpFactor, smsFactor] });
    const list = await screen.findByRole("list", { name: "Factors" });
    expect(
      within(list)
        .getAllByRole("listitem")
        .map((li) => li.firstChild?.textContent),
    ).toEqual(["f-totp", "f-sms"]);
    expect(screen.getByText("2 backup codes left")).toBeVisible();
  });

  it("removes a factor after step-up and refreshes the list", async () => {
    const { user, api } = renderWithMfa(
      <>
        <FactorList />
        <StepUpModal />
      </>,
      server,
      { factors: [totpFactor, smsFactor] },
    );
    await user.click(await screen.findByRole("button", { name: "Remove f-sms" }));
    const dialog = await screen.findByRole("dialog");
    await waitFor(() => expect(dialog).toHaveAttribute("aria-busy", "false"));
    await user.type(within(dialog).getByLabelText("Verification code"), "123456");
    await waitFor(() => expect(screen.queryByRole("button", { name: "Remove f-sms" })).toBeNull());
    expect(api.state.factors.map((f) => f.id)).toEqual(["f-totp"]);
    expect(api.calls.removeFactor).toBe(2);
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("keeps the factor, without an error, when the user cancels the step-up", async () => {
    const { user, api } = renderWithMfa(
      <>
        <FactorList />
        <StepUpModal />
      </>,
      server,
      { factors: [totpFactor, smsFactor] },
    );
    await user.click(await screen.findByRole("button", { name: "Remove f-sms" }));
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(api.state.factors).toHaveLength(2);
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("registers a security key", async () => {
    vi.stubGlobal("PublicKeyCredential", vi.fn());
    const create = vi.fn(async () => ({
      id: "new-key",
      rawId: new Uint8Array([9, 9]).buffer,
      type: "public-key",
      response: {
        attestationObject: new Uint8Array([1]).buffer,
        clientDataJSON: new Uint8Array([2]).buffer,
        getTransports: () => ["usb"],
      },
      getClientExtensionResults: () => ({}),
    }));
    vi.stubGlobal(
      "navigator",
      Object.assign(Object.create(navigator), { credentials: { create } }),
    );
    const onRegistered = vi.fn();
    const { user, api } = renderWithMfa(<FactorList onRegistered={onRegistered} />, server, {
      factors: [totpFactor],
    });
    await user.click(await screen.findByRole("button", { name: "Add key" }));
    await waitFor(() =>
      expect(onRegistered).toHaveBeenCalledWith(
        expect.objectContaining({ id: "f-new-key", type: "webauthn", label: "Key" }),
      ),
    );
    expect(create).toHaveBeenCalledOnce();
    expect(api.calls.webauthnRegistrationVerify).toBe(1);
    expect(await screen.findByRole("button", { name: "Remove f-new-key" })).toBeVisible();
  });

  it("treats a dismissed browser prompt during registration as no change", async () => {
    vi.stubGlobal("PublicKeyCredential", vi.fn());
    vi.stubGlobal(
      "navigator",
      Object.assign(Object.create(navigator), {
        credentials: {
          create: vi.fn(() => Promise.reject(new DOMException("Dismissed", "NotAllowedError"))),
        },
      }),
    );
    const onRegistered = vi.fn();
    const { user } = renderWithMfa(<FactorList onRegistered={onRegistered} />, server, {
      factors: [keyFactor],
    });
    await user.click(await screen.findByRole("button", { name: "Add key" }));
    await waitFor(() => expect(onRegistered).toHaveBeenCalledWith(null));
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
