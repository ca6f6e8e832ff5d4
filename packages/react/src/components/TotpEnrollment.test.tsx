import { problem } from "@mfa-kit/protocol";
import { act, screen, waitFor, within } from "@testing-library/react";
import { HttpResponse, http } from "msw";
import { afterEach, describe, expect, it, vi } from "vitest";
import { useFactors } from "../hooks/useFactors";
import { decodeQrSvg } from "../test/decodeQr";
import { startMswServer } from "../test/msw";
import { ORIGIN, OTPAUTH_URI, TOTP_SECRET, totpFactor } from "../test/referenceApi";
import { renderWithMfa } from "../test/render";
import { TotpEnrollment } from "./TotpEnrollment";

const server = startMswServer();

/** An app's screen that shows enrollment until the user has a factor, as the demo's does. */
function Gate() {
  const { factors, loading } = useFactors();
  if (loading && !factors.length) return null;
  return factors.some((f) => f.status === "active") ? <p>Account page</p> : <TotpEnrollment />;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("TotpEnrollment", () => {
  it("shows the otpauth URI as a 300 px QR code and the secret as the manual key, grouped in fours", async () => {
    renderWithMfa(<TotpEnrollment label="alice@example.com" />, server, { factors: [] });
    const qr = await screen.findByRole("img", { name: /QR code/ });
    expect(qr).toHaveAttribute("width", "300");
    expect(decodeQrSvg(qr)).toBe(OTPAUTH_URI);

    const key = screen.getByText(/^JBSW /);
    expect(key.textContent).toBe("JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP");
    expect(key.textContent?.replace(/ /g, "")).toBe(TOTP_SECRET);
    expect(screen.getByRole("link", { name: /authenticator app on this device/ })).toHaveAttribute(
      "href",
      OTPAUTH_URI,
    );
  });

  it("copies the key without its spaces", async () => {
    const { user } = renderWithMfa(<TotpEnrollment />, server, { factors: [] });
    await user.click(await screen.findByRole("button", { name: "Copy key" }));
    await expect(navigator.clipboard.readText()).resolves.toBe(TOTP_SECRET);
    expect(screen.getByText("Copied.")).toBeVisible();
  });

  it("hints at manual entry after 30 s without a code typed", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true, toFake: ["setTimeout", "clearTimeout", "Date"] });
    renderWithMfa(<TotpEnrollment />, server, { factors: [], fakeTimers: true });
    await screen.findByRole("img", { name: /QR code/ });
    const hint = /trouble scanning/i;
    await act(() => vi.advanceTimersByTimeAsync(29_000));
    expect(screen.queryByText(hint)).toBeNull();
    await act(() => vi.advanceTimersByTimeAsync(1_000));
    expect(screen.getByText(hint)).toBeVisible();
  });

  it("does not hint while the user is typing the code", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true, toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { user } = renderWithMfa(<TotpEnrollment />, server, { factors: [], fakeTimers: true });
    await screen.findByRole("img", { name: /QR code/ });
    await user.type(screen.getByLabelText(/6-digit code/), "12");
    await act(() => vi.advanceTimersByTimeAsync(60_000));
    expect(screen.queryByText(/trouble scanning/i)).toBeNull();
  });

  it("confirms with the first code, then shows the backup codes until they are acknowledged", async () => {
    const onComplete = vi.fn();
    const { user, api } = renderWithMfa(<TotpEnrollment onComplete={onComplete} />, server, {
      factors: [],
    });
    const input = await screen.findByLabelText("Enter the 6-digit code the app shows");
    await user.type(input, "000000");
    expect(await screen.findByRole("alert")).toHaveTextContent("That code didn't work.");
    expect(input).toHaveValue("");

    await user.type(input, "123456");
    const codes = await screen.findByRole("list", { name: "Backup codes" });
    expect(within(codes).getAllByRole("listitem")).toHaveLength(10);
    expect(api.state.factors).toEqual([expect.objectContaining({ id: "f-new", status: "active" })]);

    const done = screen.getByRole("button", { name: "Done" });
    expect(done).toBeDisabled();
    await user.click(screen.getByLabelText("I have saved these codes"));
    await user.click(done);
    expect(onComplete).toHaveBeenCalledExactlyOnceWith({
      factor: expect.objectContaining({ id: "f-new", type: "totp", status: "active" }),
      backupCodes: expect.arrayContaining(["code-0000"]),
    });
    expect(screen.queryByRole("list", { name: "Backup codes" })).toBeNull();
  });

  it("completes without backup codes when the user already had a factor", async () => {
    const onComplete = vi.fn();
    const { user } = renderWithMfa(<TotpEnrollment onComplete={onComplete} />, server, {
      factors: [totpFactor],
    });
    await user.type(await screen.findByLabelText(/6-digit code/), "123456");
    expect(await screen.findByText("Your authenticator app is set up.")).toBeVisible();
    expect(onComplete).toHaveBeenCalledOnce();
  });

  it("waits for a click when autoStart is off, and says when starting failed", async () => {
    const { user, api } = renderWithMfa(<TotpEnrollment autoStart={false} />, server, {
      factors: [],
    });
    expect(api.calls.enrollTotp).toBeUndefined();
    server.use(
      http.post(`${ORIGIN}/mfa/totp/enroll`, () =>
        HttpResponse.json(problem("invalid_request"), { status: 400 }),
      ),
    );
    await user.click(screen.getByRole("button", { name: "Set up authenticator app" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("That didn't work. Try again.");
    await waitFor(() =>
      expect(screen.getByRole("button", { name: "Set up authenticator app" })).toBeEnabled(),
    );
  });

  // Regression: the activation refreshed the shared factor list, the screen switched to the
  // account page and the backup codes were gone before the user saved them.
  it("keeps the backup codes on screen until they are saved, however the app reacts to the list", async () => {
    const { user, api } = renderWithMfa(<Gate />, server, { factors: [] });
    await screen.findByRole("img", { name: /QR code/ });
    await user.type(screen.getByLabelText(/6-digit code/), "123456");
    await screen.findByRole("list", { name: "Backup codes" });
    await user.click(screen.getByLabelText("I have saved these codes"));
    // Not fetched again while the codes are shown...
    expect(api.calls.listFactors).toBe(1);
    expect(screen.getByRole("list", { name: "Backup codes" })).toBeVisible();
    await user.click(screen.getByRole("button", { name: "Done" }));
    // ...but right after they were saved.
    expect(await screen.findByText("Account page")).toBeVisible();
    expect(api.calls.listFactors).toBe(2);
  });
});
