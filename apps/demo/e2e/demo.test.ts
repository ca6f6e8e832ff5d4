import { existsSync } from "node:fs";
import { copyFile, mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { seriousViolations } from "./axe";
import { chromiumAvailable, launchChromium } from "./chromium";
import { type StaticServer, startStaticServer } from "./staticServer";

// The built demo (`npm run build`, done by `turbo run build` in `npm test`) in Debian's Chromium:
// the journey of the README by clicks and typing, screenshots and an accessibility check.

const app = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const DIST = app("dist/web");
const RESULTS = app("test-results");

const available = chromiumAvailable();

describe.skipIf(!available)("the demo in Chromium", () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(`${DIST}/index.html`)) {
      throw new Error(`${DIST}/index.html is missing: build the demo first (npm run build).`);
    }
    await mkdir(RESULTS, { recursive: true });
    server = await startStaticServer(DIST);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on("pageerror", (error) => errors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** The code the demo's authenticator stand-in shows now (it follows the server's clock). */
  const currentCode = async (notEqual?: string) => {
    const code = page.getByTestId("current-code").first();
    if (notEqual) {
      await expect.poll(() => code.textContent(), { timeout: 10_000 }).not.toBe(notEqual);
    }
    return (await code.textContent())!.trim();
  };

  test("enroll an authenticator, then step up for a transfer", async () => {
    await page.goto(server.url);
    await page.getByLabel("Username").fill("demo");
    await page.getByLabel("Password").fill("demo-password");
    await page.getByRole("button", { name: "Sign in" }).click();

    // Enrollment: QR code, grouped key, code from the demo's "show current code" helper.
    const enrollment = page.getByRole("region", { name: "Set up an authenticator app" });
    await enrollment.getByRole("img", { name: /QR code/ }).waitFor();
    const key = (await enrollment.locator("code").first().textContent())!;
    expect(key).toMatch(/^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
    await page.screenshot({ path: `${RESULTS}/enrollment.png`, fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByRole("button", { name: "Show current code" }).click();
    const firstCode = await currentCode();
    await enrollment.getByLabel(/6-digit code/).fill(firstCode);

    // Backup codes, acknowledged.
    await page.getByLabel("I have saved these codes").check();
    // Move the server clock 45 s ahead, so the next code is a new one (the first is spent).
    await page.getByLabel("Skew the server clock").selectOption({ label: "45 s ahead" });
    await page.getByRole("button", { name: "Done" }).click();

    // The account page's protected calls ask for MFA: one modal.
    let dialog = page.getByRole("dialog", { name: "Confirm it's you" });
    await dialog.waitFor();
    const secondCode = await currentCode(firstCode);
    await dialog.getByLabel("Verification code").fill(secondCode);
    await dialog.waitFor({ state: "detached" });
    await expect.poll(() => page.getByTestId("balance").textContent()).toBe("2500.00 EUR");

    // Six minutes later on the server's clock the session is past max_age=300: the transfer
    // steps up (and the expired access token is refreshed on the way).
    await page
      .getByLabel("Skew the server clock")
      .selectOption({ label: "6 min ahead (past max_age)" });
    await page.getByLabel("Recipient").fill("Alex");
    await page.getByLabel("Amount (EUR)").fill("25");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    dialog = page.getByRole("dialog", { name: "Confirm it's you" });
    await dialog.waitFor();
    await dialog.getByLabel("Verification code").focus();
    await page.screenshot({ path: `${RESULTS}/step-up-modal.png` });
    expect(await seriousViolations(page, '[role="dialog"]')).toEqual([]);

    await dialog.getByLabel("Verification code").fill(await currentCode(secondCode));
    await dialog.waitFor({ state: "detached" });
    const transfer = page.getByRole("region", { name: "Send money" });
    await transfer.getByText("Sent 25.00 EUR to Alex.").waitFor();
    await expect.poll(() => page.getByTestId("balance").textContent()).toBe("2475.00 EUR");

    // What happened on both sides is on screen.
    const activity = page.getByRole("list", { name: "Client activity" });
    await activity
      .getByText(/Access token expired: refreshed once/)
      .first()
      .waitFor();
    await activity
      .getByText(/at most 300 s old/)
      .first()
      .waitFor();
    const events = page.getByRole("list", { name: "Security events" });
    await events.locator('li[data-type="mfa.verified"]').first().waitFor();

    await copyFile(`${RESULTS}/step-up-modal.png`, app("docs/step-up-modal.png"));
    expect(errors).toEqual([]);
  });
});
