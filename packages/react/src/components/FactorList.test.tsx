import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { useFactors } from "../hooks/useFactors";
import { seriousViolations } from "../test/axe";
import { startMswServer } from "../test/msw";
import { keyFactor, smsFactor, totpFactor } from "../test/referenceApi";
import { renderWithMfa } from "../test/render";
import { BackupCodes } from "./BackupCodes";
import { FactorList } from "./FactorList";
import { StepUpModal } from "./StepUpModal";

const server = startMswServer();
// axe-core in jsdom takes seconds on a loaded machine.
vi.setConfig({ testTimeout: 30_000 });

function Count() {
  const { backupCodesRemaining } = useFactors();
  return <p>Count: {backupCodesRemaining ?? "…"}</p>;
}

/** The factor list, once loaded (its section no longer `aria-busy`). */
const list = async () => {
  const ul = await screen.findByRole("list", { name: "Your sign-in factors" });
  await waitFor(() => expect(ul.closest("section")).toHaveAttribute("aria-busy", "false"));
  return ul;
};

describe("FactorList", () => {
  it("shows each factor's name, type, when it was added and last used, without internal ids", async () => {
    // 80 minutes back, so that the milliseconds the test itself takes and the server clock's
    // estimate cannot drop the age below one hour.
    const hourAgo = Date.now() - 80 * 60_000;
    const { container } = renderWithMfa(<FactorList locale="en" />, server, {
      factors: [totpFactor, smsFactor, { ...keyFactor, lastUsedAt: hourAgo }],
    });
    const items = within(await list()).getAllByRole("listitem");
    expect(items.map((li) => li.querySelector("strong")?.textContent)).toEqual([
      "Authenticator app",
      "+1 ••• ••• 4567",
      "YubiKey",
    ]);
    expect(items[1]).toHaveTextContent("Text message");
    expect(items[2]).toHaveTextContent("Security key");
    expect(items[2]).toHaveTextContent("Added Nov 14, 2023");
    expect(items[2]).toHaveTextContent("Last used 1 hour ago");
    expect(items[0]).toHaveTextContent("Never used");
    expect(screen.getByRole("button", { name: "Remove “YubiKey”" })).toBeVisible();
    expect(container.innerHTML).not.toMatch(/f-(totp|sms|key)/);
    expect(await seriousViolations(container)).toEqual([]);
  });

  it("says when a factor was last used on the server's clock, not this device's", async () => {
    // The server runs 2 h ahead: a use 2 h ago on the local clock was moments ago on the server.
    const skew = 2 * 3_600_000;
    renderWithMfa(<FactorList locale="en" />, server, {
      serverSkewMs: skew,
      factors: [{ ...keyFactor, lastUsedAt: Date.now() + skew - 120_000 }],
    });
    const [item] = within(await list()).getAllByRole("listitem");
    // The client learns the server's clock from the list's own answer.
    await waitFor(() => expect(item).toHaveTextContent("Last used 2 minutes ago"));
  });

  it("warns at 3 backup codes or fewer and regenerates them behind step-up", async () => {
    const { user, api } = renderWithMfa(
      <>
        <FactorList />
        <StepUpModal />
      </>,
      server,
      { factors: [totpFactor], backupCodes: ["a-a", "b-b", "c-c"] },
    );
    const warning = await screen.findByText(/3 backup codes left/);
    expect(warning).toHaveClass("mfa-warning");
    expect(warning).toHaveTextContent("Only 3 backup codes left");
    await user.click(screen.getByRole("button", { name: "Generate new backup codes" }));
    const dialog = await screen.findByRole("dialog");
    await waitFor(() => expect(dialog).toHaveAttribute("aria-busy", "false"));
    await user.type(within(dialog).getByLabelText("Verification code"), "123456");
    const codes = await screen.findByRole("list", { name: "Backup codes" });
    expect(within(codes).getAllByRole("listitem")).toHaveLength(3);
    await user.click(screen.getByLabelText("I have saved these codes"));
    await user.click(screen.getByRole("button", { name: "Done" }));
    // The count shown is the server's new one, fetched again after the change and the verification.
    expect(await screen.findByText(/^3 backup codes left\.\s*Only 3/)).toBeVisible();
    expect(api.state.backupCodes.has("a-a")).toBe(false);
    // Focus returns to the heading on the next animation frame, once the dialog has unmounted.
    await waitFor(() =>
      expect(screen.getByRole("heading", { name: "Your sign-in factors" })).toHaveFocus(),
    );
  });

  it("renames a factor with the keyboard only, focus in the field, Escape cancelling", async () => {
    const { user, api } = renderWithMfa(
      <>
        <FactorList />
        <StepUpModal />
      </>,
      server,
      { factors: [totpFactor, keyFactor] },
    );
    await list();
    const rename = screen.getByRole("button", { name: "Rename “YubiKey”" });
    rename.focus();
    await user.keyboard("{Enter}");
    const field = screen.getByLabelText("New name for “YubiKey”");
    expect(field).toHaveFocus();
    await user.keyboard("{Escape}");
    expect(screen.queryByLabelText("New name for “YubiKey”")).toBeNull();
    expect(screen.getByRole("button", { name: "Rename “YubiKey”" })).toHaveFocus();
    await user.keyboard("{Enter}");
    await user.keyboard("Blue key{Enter}");
    // No MFA session yet: the rename steps up first.
    const dialog = await screen.findByRole("dialog");
    await waitFor(() => expect(dialog).toHaveAttribute("aria-busy", "false"));
    await user.keyboard("123456");
    expect(await screen.findByText("Renamed to “Blue key”.")).toBeVisible();
    expect(await screen.findByRole("button", { name: "Rename “Blue key”" })).toHaveFocus();
    expect(api.state.factors.find((f) => f.id === "f-key")?.label).toBe("Blue key");
  });

  it("refuses an empty name without calling the server", async () => {
    const { user, api } = renderWithMfa(<FactorList />, server, { factors: [keyFactor] });
    await list();
    await user.click(screen.getByRole("button", { name: "Rename “YubiKey”" }));
    await user.clear(screen.getByLabelText("New name for “YubiKey”"));
    await user.keyboard("{Enter}");
    expect(screen.getByText("Enter a name.")).toBeVisible();
    expect(screen.getByLabelText("New name for “YubiKey”")).toHaveAttribute("aria-invalid", "true");
    expect(api.calls.renameFactor).toBeUndefined();
  });

  it("asks before removing, saying what removing the last factor means", async () => {
    const { user, api, container } = renderWithMfa(
      <>
        <FactorList />
        <StepUpModal />
      </>,
      server,
      { factors: [totpFactor, keyFactor] },
    );
    await list();
    await user.click(screen.getByRole("button", { name: "Remove “YubiKey”" }));
    const confirm = screen.getByRole("group", { name: /Remove “YubiKey”\?/ });
    expect(within(confirm).getByRole("button", { name: "Keep it" })).toHaveFocus();
    expect(await seriousViolations(container)).toEqual([]);
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("group")).toBeNull();
    expect(api.calls.removeFactor).toBeUndefined();

    await user.click(screen.getByRole("button", { name: "Remove “YubiKey”" }));
    await user.click(screen.getByRole("button", { name: "Remove" }));
    const dialog = await screen.findByRole("dialog");
    await waitFor(() => expect(dialog).toHaveAttribute("aria-busy", "false"));
    await user.keyboard("123456");
    expect(await screen.findByText("“YubiKey” was removed.")).toBeVisible();
    expect(api.state.factors.map((f) => f.id)).toEqual(["f-totp"]);

    await user.click(await screen.findByRole("button", { name: "Remove “Authenticator app”" }));
    expect(
      screen.getByRole("group", { name: /is your last factor.*turns off two-step verification/ }),
    ).toBeVisible();
  });

  it("shares one fetch among every component and refreshes all of them after a change", async () => {
    const { user, api } = renderWithMfa(
      <>
        <FactorList />
        <Count />
        <Count />
        <BackupCodes />
        <StepUpModal />
      </>,
      server,
      { factors: [totpFactor], backupCodes: ["a-a", "b-b", "c-c", "d-d", "e-e"] },
    );
    await waitFor(() => expect(screen.getAllByText("Count: 5")).toHaveLength(2));
    expect(api.calls.listFactors).toBe(1);
    // Regenerating from BackupCodes (not the list) still updates every count.
    await user.click(screen.getByRole("button", { name: "Generate new codes" }));
    const dialog = await screen.findByRole("dialog");
    await waitFor(() => expect(dialog).toHaveAttribute("aria-busy", "false"));
    await user.type(within(dialog).getByLabelText("Verification code"), "123456");
    await waitFor(() => expect(screen.getAllByText("Count: 3")).toHaveLength(2));
    expect(screen.getByText(/3 backup codes left/)).toBeVisible();
  });

  it("fetches again after a verification, so last-used times are current", async () => {
    const { user, api, mfa } = renderWithMfa(
      <>
        <FactorList locale="en" />
        <StepUpModal />
      </>,
      server,
      { factors: [totpFactor] },
    );
    const [item] = within(await list()).getAllByRole("listitem");
    expect(item).toHaveTextContent("Never used");
    const stepUp = mfa.stepUp({ maxAge: 0 });
    const dialog = await screen.findByRole("dialog");
    await waitFor(() => expect(dialog).toHaveAttribute("aria-busy", "false"));
    await user.type(within(dialog).getByLabelText("Verification code"), "123456");
    await stepUp;
    await waitFor(() => expect(item).toHaveTextContent(/Last used (now|\d+ seconds? ago)/));
    expect(api.state.factors[0]?.lastUsedAt).toEqual(expect.any(Number));
  });
});
