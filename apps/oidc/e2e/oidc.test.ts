import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { generateSync } from "otplib";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { chromiumAvailable, launchChromium } from "../../demo/e2e/chromium";
import { type OidcExample, startOidcExample } from "../src/server/startOidcExample";

// The example in Debian's Chromium, on three origins (SPA, OpenID Provider, API): sign in with a
// password, step up at the provider for a sensitive call (RFC 9470 through oidc-client-ts), and
// the cross-origin plumbing (preflights, the exposed Date) that makes it work.

const DIST = fileURLToPath(new URL("../dist/web", import.meta.url));
const SKEW_MS = 120_000;
const available = chromiumAvailable();

type Telemetry = { reauthorizations: number; events: string[] };

describe.skipIf(!available)("the OpenID Provider example in Chromium", () => {
  let example: OidcExample;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];
  const origins = new Set<string>();

  beforeAll(async () => {
    if (!existsSync(`${DIST}/index.html`)) {
      throw new Error(`${DIST}/index.html is missing: build the example first (npm run build).`);
    }
    example = await startOidcExample({ webRoot: DIST, apiClockSkewMs: SKEW_MS });
    browser = await launchChromium();
    context = await browser.newContext();
    context.on("request", (r) => origins.add(new URL(r.url()).origin));
    page = await context.newPage();
    page.on("pageerror", (error) => errors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await example?.close();
  });

  const telemetry = () =>
    page.evaluate(
      () => (window as unknown as { example: { telemetry: Telemetry } }).example.telemetry,
    );

  test("1. signs in with a password only (code flow + PKCE): acr pwd, a plain call succeeds", async () => {
    await page.goto(example.spa);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${example.provider}/interaction/**`);
    await page.getByLabel("Username").fill(example.user.username);
    await page.getByLabel("Password").fill(example.user.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Signed in as demo" }).waitFor();
    expect(await page.getByTestId("acr").textContent()).toBe("pwd");
    await page.getByRole("button", { name: "Load profile" }).click();
    await expect
      .poll(() => page.getByTestId("result").textContent())
      .toBe("Profile: 1 of 1 succeeded");
  });

  test("2. ten concurrent sensitive calls cause exactly one re-authorization with a TOTP code at the provider", async () => {
    const popupOpened = context.waitForEvent("page");
    await page.getByRole("button", { name: "Send ten transfers" }).click();
    const popup = await popupOpened;
    await popup.waitForURL(`${example.provider}/interaction/**`);
    // Asked for acr_values=mfa and max_age, the provider wants the signed-in user's second factor.
    await popup.getByRole("heading", { name: "Confirm it's you" }).waitFor();
    await popup
      .getByLabel("Verification code")
      .fill(generateSync({ secret: example.user.totpSecret }));
    await popup.getByRole("button", { name: "Verify" }).click();
    // Offered a security key for next time: not now.
    await popup.getByRole("button", { name: "Not now" }).click();
    await expect
      .poll(() => page.getByTestId("result").textContent(), { timeout: 20_000 })
      .toBe("Ten transfers: 10 of 10 succeeded");
    expect(example.stats.transfers).toBe(10);
    expect((await telemetry()).reauthorizations).toBe(1);
    expect(await page.getByTestId("acr").textContent()).toBe("mfa");
    // Later sensitive calls send the new token: no second re-authorization.
    await page.getByRole("button", { name: "Send a transfer" }).click();
    await expect
      .poll(() => page.getByTestId("result").textContent())
      .toBe("Transfer: 1 of 1 succeeded");
    expect((await telemetry()).reauthorizations).toBe(1);
    expect(example.stats.transfers).toBe(11);
  });

  test("a backup code at the provider answers the step-up too (a second browser)", async () => {
    const other = await browser.newContext();
    const tab = await other.newPage();
    tab.on("pageerror", (error) => errors.push(error.message));
    await tab.goto(example.spa);
    await tab.getByRole("button", { name: "Sign in" }).click();
    await tab.getByLabel("Username").fill(example.user.username);
    await tab.getByLabel("Password").fill(example.user.password);
    await tab.getByRole("button", { name: "Sign in" }).click();
    await tab.getByRole("heading", { name: "Signed in as demo" }).waitFor();
    const popupOpened = other.waitForEvent("page");
    await tab.getByRole("button", { name: "Send a transfer" }).click();
    const popup = await popupOpened;
    // A wrong code is refused at the provider (and counted by the kit's limiter); the popup stays.
    await popup.getByLabel("Backup code").fill("aaaa-bbbb-cccc");
    await popup.getByRole("button", { name: "Verify" }).click();
    await popup.getByRole("alert").getByText("That code is not right").waitFor();
    await popup.getByLabel("Backup code").fill(example.user.backupCodes[0]!);
    await popup.getByRole("button", { name: "Verify" }).click();
    await popup.getByRole("button", { name: "Not now" }).click();
    await expect
      .poll(() => tab.getByTestId("result").textContent(), { timeout: 20_000 })
      .toBe("Transfer: 1 of 1 succeeded");
    expect(await tab.getByTestId("acr").textContent()).toBe("mfa");
    await other.close();
  });

  test("a security key (a virtual WebAuthn authenticator) is added at the provider, then answers a step-up to phr", async () => {
    const other = await browser.newContext();
    // Each popup gets a virtual authenticator (one per page) holding the keys added so far, set up
    // before anything is clicked in it.
    const credentials: unknown[] = [];
    const authenticator = async (p: Page) => {
      const cdp = await other.newCDPSession(p);
      await cdp.send("WebAuthn.enable");
      const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
        options: {
          protocol: "ctap2",
          transport: "usb",
          hasResidentKey: true,
          hasUserVerification: true,
          isUserVerified: true,
          automaticPresenceSimulation: true,
        },
      });
      for (const credential of credentials) {
        await cdp.send("WebAuthn.addCredential", { authenticatorId, credential } as never);
      }
      return async () =>
        (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials as unknown[];
    };
    const tab = await other.newPage();
    tab.on("pageerror", (error) => errors.push(error.message));
    await tab.goto(example.spa);
    await tab.getByRole("button", { name: "Sign in" }).click();
    await tab.getByLabel("Username").fill(example.user.username);
    await tab.getByLabel("Password").fill(example.user.password);
    await tab.getByRole("button", { name: "Sign in" }).click();
    await tab.getByRole("heading", { name: "Signed in as demo" }).waitFor();

    const first = other.waitForEvent("page");
    await tab.getByRole("button", { name: "Send a transfer" }).click();
    const popup = await first;
    const keys = await authenticator(popup);
    await popup.getByLabel("Backup code").fill(example.user.backupCodes[1]!);
    await popup.getByRole("button", { name: "Verify" }).click();
    await popup.getByRole("button", { name: "Add a security key" }).click();
    await popup.getByRole("heading", { name: "Security key added" }).waitFor();
    credentials.push(...(await keys()));
    expect(credentials).toHaveLength(1);
    await popup.getByRole("button", { name: "Continue" }).click();
    await expect
      .poll(() => tab.getByTestId("result").textContent(), { timeout: 20_000 })
      .toBe("Transfer: 1 of 1 succeeded");

    const second = other.waitForEvent("page");
    await tab.getByRole("button", { name: "Confirm with a security key" }).click();
    const keyPopup = await second;
    await authenticator(keyPopup);
    await keyPopup.getByRole("button", { name: "Use a security key" }).click();
    await expect.poll(() => tab.getByTestId("acr").textContent(), { timeout: 20_000 }).toBe("phr");
    await other.close();
  });

  test("3. preflights are seen on the API, and the clock offset comes from its exposed Date", async () => {
    expect(new Set([example.spa, example.provider, example.api]).size).toBe(3);
    expect([...origins]).toEqual(
      expect.arrayContaining([example.spa, example.provider, example.api]),
    );
    expect(example.stats.preflights).toBeGreaterThan(0);
    const offset = Number(await page.getByTestId("clock-offset").textContent());
    expect(Math.abs(offset - SKEW_MS)).toBeLessThan(2_000);
    expect((await telemetry()).events).not.toContain("clock.unavailable");
    expect(errors).toEqual([]);
  });
});
