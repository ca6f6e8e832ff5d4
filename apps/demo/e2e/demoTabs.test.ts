import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type DemoServer, startDemoServer } from "../src/server/startDemoServer";
import { chromiumAvailable, launchChromium } from "./chromium";
import { signInAndEnroll } from "./journey";
import { type StaticServer, startStaticServer } from "./staticServer";

// Two tabs of the demo itself in one browser context, on the API both share (`?api=`, a real Node
// server: the in-page API is one per tab). The MFA session lives in localStorage: a verification in
// one tab serves the other without a prompt, and signing out in one signs out both.

const DIST = fileURLToPath(new URL("../dist/web", import.meta.url));
const available = chromiumAvailable();

describe.skipIf(!available)("two tabs of the demo in Chromium", () => {
  let web: StaticServer;
  let api: DemoServer;
  let browser: Browser;
  let context: BrowserContext;
  const errors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(`${DIST}/index.html`)) {
      throw new Error(`${DIST}/index.html is missing: build the demo first (npm run build).`);
    }
    web = await startStaticServer(DIST);
    api = await startDemoServer({ cors: { origins: [web.url] } });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await web?.close();
  });

  const open = async () => {
    const page = await context.newPage();
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${web.url}/?api=${encodeURIComponent(api.url)}`);
    return page;
  };
  const verifies = (page: Page) => {
    const seen: string[] = [];
    page.on("request", (r) => {
      if (new URL(r.url()).pathname === "/mfa/verify") seen.push(r.url());
    });
    return seen;
  };

  test("verified in one tab, the other's protected calls pass; signing out in one signs out both", async () => {
    const a = await open();
    const b = await open();
    const fromB = verifies(b);

    // Tab A: sign in, enroll and verify (one prompt).
    await signInAndEnroll(a);

    // Tab B: the app's own sign-in (one per tab), then the account page with A's MFA session.
    await b.getByLabel("Username").fill("demo");
    await b.getByLabel("Password").fill("demo-password");
    await b.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => b.getByTestId("balance").textContent()).toBe("2500.00 EUR");
    expect(await b.getByRole("dialog").count()).toBe(0);
    expect(fromB).toEqual([]);
    await b.getByRole("region", { name: "MFA session" }).getByText("Verified with").waitFor();

    // Signing out in A signs out B: its app sign-in and the shared MFA session.
    await a.getByRole("button", { name: "Sign out" }).click();
    await a.getByRole("button", { name: "Sign in" }).waitFor();
    await b.getByRole("button", { name: "Sign in" }).waitFor();
    await expect.poll(() => b.evaluate(() => localStorage.getItem("mfa-kit.session"))).toBeNull();
    expect(errors).toEqual([]);
  });
});
