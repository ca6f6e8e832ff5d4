import { existsSync } from "node:fs";
import { copyFile, mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { seriousViolations } from "./axe";
import { chromiumAvailable, launchChromium } from "./chromium";
import { currentCode, signInAndEnroll, startStaleTransfer, transferSent } from "./journey";
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

  test("enroll an authenticator, then step up for a transfer", async () => {
    await page.goto(server.url);
    const secondCode = await signInAndEnroll(page, async () => {
      // The enrollment screen: QR code and the key grouped in fours.
      const enrollment = page.getByRole("region", { name: "Set up an authenticator app" });
      const key = (await enrollment.locator("code").first().textContent())!;
      expect(key).toMatch(/^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
      await page.screenshot({ path: `${RESULTS}/enrollment.png`, fullPage: true });
      expect(await seriousViolations(page)).toEqual([]);
    });

    // The transfer steps up (and the expired access token is refreshed on the way).
    const dialog = await startStaleTransfer(page);
    await dialog.getByLabel("Verification code").focus();
    await page.screenshot({ path: `${RESULTS}/step-up-modal.png` });
    expect(await seriousViolations(page, '[role="dialog"]')).toEqual([]);
    await dialog.getByLabel("Verification code").fill(await currentCode(page, secondCode));
    await dialog.waitFor({ state: "detached" });
    await transferSent(page);

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
    await page.screenshot({ path: `${RESULTS}/account.png`, fullPage: true });

    // The README's picture: refreshed when missing or asked for, not on every run.
    const docs = app("docs/step-up-modal.png");
    if (!existsSync(docs) || process.env.UPDATE_SCREENSHOTS === "1") {
      await copyFile(`${RESULTS}/step-up-modal.png`, docs);
    }
    expect(errors).toEqual([]);
  });

  test("a security key (a virtual WebAuthn authenticator) answers the step-up", async () => {
    // WebAuthn needs a domain as relying party id: the same server, as localhost.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const keyPage = await context.newPage();
    keyPage.on("pageerror", (error) => errors.push(error.message));
    const cdp = await context.newCDPSession(keyPage);
    await cdp.send("WebAuthn.enable");
    await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: {
        protocol: "ctap2",
        transport: "internal",
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    await keyPage.goto(server.url.replace("127.0.0.1", "localhost"));
    await signInAndEnroll(keyPage);

    // Added from the demo with <SecurityKeyEnrollment>, by keyboard: focus is in the name field.
    await keyPage.getByRole("button", { name: "Add a security key" }).click();
    const enrollment = keyPage.getByRole("region", { name: "Add a security key" });
    await expect
      .poll(() =>
        enrollment.getByLabel("Name of the key").evaluate((el) => el === document.activeElement),
      )
      .toBe(true);
    expect(await seriousViolations(keyPage, "section[aria-labelledby]:has(.mfa-factors)")).toEqual(
      [],
    );
    await keyPage.keyboard.type("Blue key");
    await keyPage.keyboard.press("Enter");
    await enrollment.getByText("“Blue key” was added.").waitFor();
    const factors = keyPage.getByRole("list", { name: "Your factors" });
    await factors.getByText("Blue key", { exact: true }).waitFor();
    // The same key again: the browser finds it excluded, and the component says so.
    await enrollment.getByRole("button", { name: "Add another key" }).click();
    await keyPage.keyboard.press("Enter");
    await enrollment.getByText(/already registered/).waitFor();

    const dialog = await startStaleTransfer(keyPage);
    await dialog.getByRole("button", { name: "Use security key" }).click();
    await dialog.waitFor({ state: "detached" });
    await transferSent(keyPage);
    const events = keyPage.getByRole("list", { name: "Security events" });
    await events.getByText("Verified with a security key.").first().waitFor();
    await context.close();
    expect(errors).toEqual([]);
  });

  test("a phone number is added with <ContactEnrollment>, renamed and removed from <FactorList>", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const on = await context.newPage();
    on.on("pageerror", (error) => errors.push(error.message));
    await on.goto(server.url);
    const used = await signInAndEnroll(on);

    await on.getByRole("button", { name: "Add a phone number" }).click();
    const enrollment = on.getByRole("region", { name: "Add a phone number" });
    await expect
      .poll(() =>
        enrollment.getByLabel("Phone number").evaluate((el) => el === document.activeElement),
      )
      .toBe(true);
    await on.keyboard.type("+44 7700 900123");
    await on.keyboard.press("Enter");
    await enrollment.getByText("We sent a code to +447700900123.").waitFor();
    expect(await seriousViolations(on, "section:has(> .mfa-factors), .mfa-panel")).toEqual([]);
    // The demo's stand-in phone: the code is in the security events.
    const events = on.getByRole("list", { name: "Security events" });
    const sent = events.getByText(/Text message to \+447700900123: your code is \d{6}/).first();
    await sent.waitFor();
    const code = /(\d{6})\.$/.exec((await sent.textContent())!)![1]!;
    await expect
      .poll(() => enrollment.getByRole("button", { name: /Send a new code in/ }).count())
      .toBe(1);
    await on.keyboard.type(code);
    // Confirmed: the demo closes the form, and the list shows the new factor at once.
    const factors = on.getByRole("list", { name: "Your factors" });
    const phone = factors.getByRole("listitem").filter({ hasText: "Text message" });
    await phone.waitFor();
    await enrollment.waitFor({ state: "detached" });
    await phone.getByRole("button", { name: /^Rename/ }).click();
    await on.keyboard.press("ControlOrMeta+a");
    await on.keyboard.type("Work phone");
    await on.keyboard.press("Enter");
    await factors.getByText("Work phone", { exact: true }).waitFor();

    // Later on the server's clock, so the authenticator shows a new code for the step-up.
    await on
      .getByLabel("Skew the server clock")
      .selectOption({ label: "6 min ahead (past max_age)" });
    await on.getByRole("button", { name: "Remove “Work phone”" }).click();
    await on.getByRole("group", { name: /Remove “Work phone”\?/ }).waitFor();
    await on.getByRole("button", { name: "Remove", exact: true }).click();
    // Removing needs a fresh verification: the modal asks for it.
    const dialog = on.getByRole("dialog", { name: "Confirm it's you" });
    await dialog.waitFor();
    await dialog.getByLabel("Verification code").fill(await currentCode(on, used));
    await dialog.waitFor({ state: "detached" });
    await on.getByText("“Work phone” was removed.").waitFor();
    expect(await factors.getByText("Work phone").count()).toBe(0);
    await context.close();
    expect(errors).toEqual([]);
  });
});
