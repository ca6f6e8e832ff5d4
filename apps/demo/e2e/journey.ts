import type { Page } from "playwright-core";
import { expect } from "vitest";

// The steps of the demo's journey, shared by the browser tests (same origin, and with the API on
// another origin).

/** The code the demo's authenticator stand-in shows on `page` (it follows the server's clock). */
export const currentCode = async (on: Page, notEqual?: string) => {
  const code = on.getByTestId("current-code").first();
  if (notEqual) {
    await expect.poll(() => code.textContent(), { timeout: 10_000 }).not.toBe(notEqual);
  }
  return (await code.textContent())!.trim();
};

/**
 * Signs in and enrolls an authenticator app; `beforeVerify` runs before the first MFA prompt, and
 * `onBackupCodes` gets the backup codes the enrollment showed.
 */
export const signInAndEnroll = async (
  on: Page,
  beforeVerify?: () => Promise<void>,
  onBackupCodes?: (codes: string[]) => void,
) => {
  await on.getByLabel("Username").fill("demo");
  await on.getByLabel("Password").fill("demo-password");
  await on.getByRole("button", { name: "Sign in" }).click();
  const enrollment = on.getByRole("region", { name: "Set up an authenticator app" });
  await enrollment.getByRole("img", { name: /QR code/ }).waitFor();
  await beforeVerify?.();
  await on.getByRole("button", { name: "Show current code" }).click();
  const firstCode = await currentCode(on);
  await enrollment.getByLabel(/6-digit code/).fill(firstCode);
  await on.getByLabel("I have saved these codes").check();
  onBackupCodes?.(await on.locator(".mfa-codes code").allTextContents());
  // Move the server clock 45 s ahead, so the next code is a new one (the first is spent).
  await on.getByLabel("Skew the server clock").selectOption({ label: "45 s ahead" });
  await on.getByRole("button", { name: "Done" }).click();
  // The account page's protected calls ask for MFA: one modal.
  const dialog = on.getByRole("dialog", { name: "Confirm it's you" });
  await dialog.waitFor();
  const secondCode = await currentCode(on, firstCode);
  await dialog.getByLabel("Verification code").fill(secondCode);
  await dialog.waitFor({ state: "detached" });
  await expect.poll(() => on.getByTestId("balance").textContent()).toBe("2500.00 EUR");
  return secondCode;
};

/** Sends 25 EUR to Alex six minutes later on the server's clock: past max_age, so it steps up. */
export const startStaleTransfer = async (on: Page) => {
  await on
    .getByLabel("Skew the server clock")
    .selectOption({ label: "6 min ahead (past max_age)" });
  await on.getByLabel("Recipient").fill("Alex");
  await on.getByLabel("Amount (EUR)").fill("25");
  await on.getByRole("button", { name: "Send", exact: true }).click();
  const dialog = on.getByRole("dialog", { name: "Confirm it's you" });
  await dialog.waitFor();
  return dialog;
};

export const transferSent = async (on: Page) => {
  await on
    .getByRole("region", { name: "Send money" })
    .getByText("Sent 25.00 EUR to Alex.")
    .waitFor();
  await expect.poll(() => on.getByTestId("balance").textContent()).toBe("2475.00 EUR");
};
