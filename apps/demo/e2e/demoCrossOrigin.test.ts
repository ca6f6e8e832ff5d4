import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type DemoServer, startDemoServer } from "../src/server/startDemoServer";
import { chromiumAvailable, launchChromium } from "./chromium";
import { currentCode, signInAndEnroll, startStaleTransfer, transferSent } from "./journey";
import { type StaticServer, startStaticServer } from "./staticServer";

// The demo's journey with its API on another origin: the app from one loopback port, the
// reference API (the kit's `cors`) from another. Every custom header needs a preflight, and the
// step-up challenge, Retry-After and Date reach the page only because the API exposes them.

const DIST = fileURLToPath(new URL("../dist/web", import.meta.url));
const available = chromiumAvailable();

describe.skipIf(!available)("the demo with its API on another origin, in Chromium", () => {
  let web: StaticServer;
  let api: DemoServer;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const preflights: string[] = [];
  const events: string[] = [];
  const origins = new Set<string>();

  beforeAll(async () => {
    if (!existsSync(`${DIST}/index.html`)) {
      throw new Error(`${DIST}/index.html is missing: build the demo first (npm run build).`);
    }
    web = await startStaticServer(DIST);
    api = await startDemoServer({ cors: { origins: [web.url] } });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on("pageerror", (error) => errors.push(error.message));
    // A blocked cross-origin call shows only here (the 401s of step-up are expected and logged too).
    page.on("console", (m) => {
      if (/CORS|Access-Control/.test(m.text())) errors.push(m.text());
    });
    page.on("request", (r) => origins.add(new URL(r.url()).origin));
    // Chromium sends preflights itself, unseen by the page: count them where they arrive.
    api.server.on("request", (req) => {
      if (req.method === "OPTIONS") preflights.push(req.url ?? "");
    });
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await web?.close();
  });

  test("enroll an authenticator, then step up for a transfer, every call cross-origin", async () => {
    expect(new URL(web.url).origin).not.toBe(new URL(api.url).origin);
    await page.goto(`${web.url}/?api=${encodeURIComponent(api.url)}`);
    const secondCode = await signInAndEnroll(page);
    const dialog = await startStaleTransfer(page);
    await dialog.getByLabel("Verification code").fill(await currentCode(page, secondCode));
    await dialog.waitFor({ state: "detached" });
    await transferSent(page);
    // The client read the exposed challenge and the server's clock (the demo skews it by minutes).
    const activity = page.getByRole("list", { name: "Client activity" });
    await activity
      .getByText(/at most 300 s old/)
      .first()
      .waitFor();
    await activity
      .getByText(/Server clock measured/)
      .first()
      .waitFor();
    events.push(...(await activity.locator("li").allTextContents()));
    expect(events.join("\n")).not.toMatch(/hides its Date/);
    // Preflights were answered (Chromium may cache some: at least one per distinct request shape).
    expect(origins).toContain(api.url);
    expect(preflights.length).toBeGreaterThan(0);
    expect(preflights.some((p) => p.startsWith("/mfa/"))).toBe(true);
    expect(errors).toEqual([]);
  });
});
