import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { seriousViolations } from "./axe";
import { chromiumAvailable, launchChromium } from "./chromium";
import { currentCode, signInAndEnroll, startStaleTransfer, transferSent } from "./journey";
import { type StaticServer, startStaticServer } from "./staticServer";

// What a walk-through of the built demo met, each pinned in Chromium: the first screen, the
// stand-in in view, counts that follow verifications, honest clock and lock messages, focusable
// feeds, an e-mail address added with <ContactEnrollment>, and a reload that says it signed out.

const DIST = fileURLToPath(new URL("../dist/web", import.meta.url));
const VIEWPORT = { width: 1280, height: 900 };
const available = chromiumAvailable();

describe.skipIf(!available)("the demo's walk-through in Chromium", () => {
  let server: StaticServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(`${DIST}/index.html`)) {
      throw new Error(`${DIST}/index.html is missing: build the demo first (npm run build).`);
    }
    server = await startStaticServer(DIST);
    browser = await launchChromium();
  });

  beforeEach(async () => {
    await context?.close();
    errors.length = 0;
    context = await browser.newContext({ viewport: VIEWPORT });
    page = await context.newPage();
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(server.url);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test("the first screen says what mfa-kit is and what to try, in two sentences", async () => {
    const intro = (await page.getByTestId("intro").textContent())!.replace(/\s+/g, " ").trim();
    expect(intro.split(/(?<=\.) /)).toHaveLength(2);
    expect(intro).toMatch(/^mfa-kit /);
    expect(await seriousViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
  });

  test("counts and last use follow verifications; the clock message blames no device", async () => {
    let backupCodes: string[] = [];
    await signInAndEnroll(
      page,
      async () => {
        // The authenticator stand-in is in view without scrolling.
        const show = page.getByRole("button", { name: "Show current code" });
        const box = (await show.boundingBox())!;
        expect(await page.evaluate(() => window.scrollY)).toBe(0);
        expect(box.y + box.height).toBeLessThanOrEqual(VIEWPORT.height);
      },
      (codes) => {
        backupCodes = codes;
      },
    );
    expect(backupCodes).toHaveLength(10);

    // The factor is named for what it is, and no button names the username or an internal id.
    const factors = page.getByRole("region", { name: "Your factors" });
    const app = factors.getByRole("listitem").filter({ hasText: "Authenticator app" });
    await app.waitFor();
    const names = await factors
      .getByRole("button")
      .evaluateAll((els) => els.map((el) => el.getAttribute("aria-label") ?? el.textContent));
    expect(names).toContain("Rename “Authenticator app”");
    for (const name of names) expect(name).not.toMatch(/\bdemo\b|[0-9a-f]{8,}|f_|fac_/i);
    // The step-up that opened the account page is the factor's last use, shown without a reload.
    await expect.poll(() => app.textContent()).toMatch(/Last used/);
    await factors.getByText("10 backup codes left.").waitFor();

    // The server's clock moves 6 min ahead: the message names the difference, not a slow device.
    await page
      .getByLabel("Skew the server clock")
      .selectOption({ label: "6 min ahead (past max_age)" });
    await page.getByRole("button", { name: "Verify again now" }).click();
    const dialog = page.getByRole("dialog", { name: "Confirm it's you" });
    await dialog.getByText("This device's clock and the server's differ by 6 min.").waitFor();
    expect(await dialog.getByText(/fast|slow/).count()).toBe(0);

    // "Use a backup code" puts focus in the field; a backup code answers, and the count follows.
    await dialog.getByRole("button", { name: "Use a backup code" }).click();
    await expect
      .poll(() => dialog.getByLabel("Backup code").evaluate((el) => el === document.activeElement))
      .toBe(true);
    await page.keyboard.type(backupCodes[0]!);
    await page.keyboard.press("Enter");
    await dialog.waitFor({ state: "detached" });
    await factors.getByText("9 backup codes left.").waitFor();

    // Regenerating: the new set is shown, and the count is the new set's once it is put away.
    await factors.getByRole("button", { name: "Generate new backup codes" }).click();
    await page.getByLabel("I have saved these codes").check();
    await page.getByRole("button", { name: "Done" }).click();
    await factors.getByText("10 backup codes left.").waitFor();

    // The feeds scroll by keyboard: focusable, and axe finds no scrollable region out of reach.
    for (const name of ["Security events", "Client activity"]) {
      expect(await page.getByRole("list", { name }).getAttribute("tabindex")).toBe("0");
    }
    expect(await page.getByText(/server time/).count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
  });

  test("a message goes when it stops being true, and a reload says it signed out", async () => {
    const used = await signInAndEnroll(page);
    // "Verify again now", cancelled: the session card says so...
    await page
      .getByLabel("Skew the server clock")
      .selectOption({ label: "6 min ahead (past max_age)" });
    await page.getByRole("button", { name: "Verify again now" }).click();
    const dialog = page.getByRole("dialog", { name: "Confirm it's you" });
    await dialog.getByLabel("Verification code").waitFor();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    const session = page.getByRole("region", { name: "MFA session" });
    await session.getByRole("alert").filter({ hasText: "Verification cancelled" }).waitFor();
    // ...until a verification elsewhere on the page (a transfer's step-up) makes it untrue.
    const transfer = await startStaleTransfer(page);
    await transfer.getByLabel("Verification code").fill(await currentCode(page, used));
    await transfer.waitFor({ state: "detached" });
    await transferSent(page);
    await expect.poll(() => session.getByRole("alert").count()).toBe(0);

    await page.reload();
    await page
      .getByRole("status")
      .filter({ hasText: "You were signed out because the page was reloaded" })
      .waitFor();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    expect(errors).toEqual([]);
  });

  test("an e-mail address is added with <ContactEnrollment> and listed by <FactorList>", async () => {
    await signInAndEnroll(page);
    await page.getByRole("button", { name: "Add an e-mail address" }).click();
    const enrollment = page.getByRole("region", { name: "Add an e-mail address" });
    await expect
      .poll(() =>
        enrollment.getByLabel("E-mail address").evaluate((el) => el === document.activeElement),
      )
      .toBe(true);
    await page.keyboard.type("ada@example.com");
    await page.keyboard.press("Enter");
    await enrollment.getByText(/We sent a code to/).waitFor();
    expect(await seriousViolations(page, "section:has(> .mfa-factors), .mfa-panel")).toEqual([]);
    const events = page.getByRole("list", { name: "Security events" });
    const sent = events.getByText(/E-mail to ada@example\.com: your code is \d{6}/).first();
    await sent.waitFor();
    const code = /(\d{6})\.$/.exec((await sent.textContent())!)![1]!;
    await enrollment.getByLabel(/Enter the 6-digit code/).fill(code);
    const factors = page.getByRole("region", { name: "Your factors" });
    await factors
      .getByRole("listitem")
      .filter({ hasText: /E-mail/ })
      .waitFor();
    await enrollment.waitFor({ state: "detached" });

    // Two code factors: the modal's "Verify with" names them as the list does, not by username.
    await page.getByRole("button", { name: "Verify again now" }).click();
    const dialog = page.getByRole("dialog", { name: "Confirm it's you" });
    const options = dialog.getByLabel("Verify with").locator("option");
    await expect.poll(() => options.count()).toBe(2);
    expect(await options.allTextContents()).toContain("Authenticator app");
    expect(await options.allTextContents()).not.toContain("demo");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });
    expect(errors).toEqual([]);
  });
});
