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

    await keyPage.getByRole("button", { name: "Add a security key" }).click();
    const factors = keyPage.getByRole("list", { name: "Your factors" });
    await factors.getByText("Security key", { exact: true }).waitFor();

    const dialog = await startStaleTransfer(keyPage);
    await dialog.getByRole("button", { name: "Use security key" }).click();
    await dialog.waitFor({ state: "detached" });
    await transferSent(keyPage);
    const events = keyPage.getByRole("list", { name: "Security events" });
    await events.getByText("Verified with a security key.").first().waitFor();
    await context.close();
    expect(errors).toEqual([]);
  });
});
