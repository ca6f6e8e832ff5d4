import { problem } from "@mfa-kit/protocol";
import { screen, waitFor } from "@testing-library/react";
import { HttpResponse, http } from "msw";
import { afterEach, describe, expect, it, vi } from "vitest";
import { seriousViolations } from "../test/axe";
import { startMswServer } from "../test/msw";
import { ORIGIN, totpFactor } from "../test/referenceApi";
import { renderWithMfa } from "../test/render";
import { FactorList } from "./FactorList";
import { SecurityKeyEnrollment } from "./SecurityKeyEnrollment";

const server = startMswServer();
// axe-core in jsdom takes seconds on a loaded machine.
vi.setConfig({ testTimeout: 30_000 });

/** A browser whose `navigator.credentials.create` does `create`. */
function browserWith(create: () => Promise<unknown>) {
  vi.stubGlobal("PublicKeyCredential", vi.fn());
  const spy = vi.fn(create);
  Object.defineProperty(navigator, "credentials", { value: { create: spy }, configurable: true });
  return spy;
}

const credential = async () => ({
  id: "new-key",
  rawId: new Uint8Array([9, 9]).buffer,
  type: "public-key",
  response: {
    attestationObject: new Uint8Array([1]).buffer,
    clientDataJSON: new Uint8Array([2]).buffer,
    getTransports: () => ["usb"],
  },
  getClientExtensionResults: () => ({}),
});

afterEach(() => {
  vi.unstubAllGlobals();
  Reflect.deleteProperty(navigator, "credentials");
});

describe("SecurityKeyEnrollment", () => {
  it("names the key, registers it with the keyboard only, and the factor list shows it", async () => {
    const create = browserWith(credential);
    const onComplete = vi.fn();
    const { user, api, container } = renderWithMfa(
      <>
        <SecurityKeyEnrollment onComplete={onComplete} />
        <FactorList />
      </>,
      server,
      { factors: [totpFactor] },
    );
    const name = screen.getByLabelText("Name of the key");
    expect(name).toHaveFocus();
    expect(await seriousViolations(container)).toEqual([]);
    await user.keyboard("Blue YubiKey{Enter}");
    expect(await screen.findByText("“Blue YubiKey” was added.")).toBeVisible();
    expect(screen.getByRole("button", { name: "Add another key" })).toHaveFocus();
    expect(create).toHaveBeenCalledOnce();
    expect(onComplete).toHaveBeenCalledWith(expect.objectContaining({ label: "Blue YubiKey" }));
    expect(await screen.findByRole("button", { name: "Remove “Blue YubiKey”" })).toBeVisible();
    expect(api.state.factors).toHaveLength(2);
  });

  it("says plainly that nothing was added when the browser's prompt is dismissed", async () => {
    browserWith(() =>
      Promise.reject(
        new DOMException("The operation either timed out or was not allowed.", "NotAllowedError"),
      ),
    );
    const { user, api } = renderWithMfa(<SecurityKeyEnrollment />, server);
    await user.keyboard("Key{Enter}");
    expect(
      await screen.findByText(/prompt was closed or timed out, so nothing was added/),
    ).toBeVisible();
    expect(screen.queryByRole("alert")).toBeNull();
    expect(screen.getByLabelText("Name of the key")).toHaveFocus();
    expect(api.calls.webauthnRegistrationVerify).toBeUndefined();
  });

  it("says the key is already registered when the browser finds it excluded", async () => {
    browserWith(() => Promise.reject(new DOMException("excluded", "InvalidStateError")));
    const { user } = renderWithMfa(<SecurityKeyEnrollment />, server);
    await user.keyboard("{Enter}");
    expect(await screen.findByText(/already registered/)).toBeVisible();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("shows an alert when the server turns the key down, and takes overridden messages", async () => {
    browserWith(credential);
    const { user } = renderWithMfa(
      <SecurityKeyEnrollment
        messages={{ nameLabel: "Schlüsselname", failed: "Fehlgeschlagen." }}
      />,
      server,
    );
    server.use(
      http.post(`${ORIGIN}/mfa/webauthn/registration/verify`, () =>
        HttpResponse.json(problem("invalid_request"), { status: 400 }),
      ),
    );
    await user.type(screen.getByLabelText("Schlüsselname"), "X{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("Fehlgeschlagen.");
  });

  it("says when the browser cannot use security keys", async () => {
    vi.stubGlobal("PublicKeyCredential", undefined);
    renderWithMfa(<SecurityKeyEnrollment />, server);
    await waitFor(() =>
      expect(screen.getByText("This browser can't use security keys.")).toBeVisible(),
    );
    expect(screen.getByRole("button", { name: "Add security key" })).toBeDisabled();
  });
});
