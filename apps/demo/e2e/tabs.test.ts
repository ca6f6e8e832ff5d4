import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page, Route } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { chromiumAvailable, launchChromium } from "./chromium";

// Two tabs of one origin in Chromium, each with its own client (`session.storage:
// "localStorage"`): real Web Locks, BroadcastChannel and storage events. The page and the built
// client come from the context's routes, and so does a small API that counts what it was asked,
// so one count covers both tabs.

const dist = (pkg: string) =>
  fileURLToPath(new URL(`../../../packages/${pkg}/dist/`, import.meta.url));
const ORIGIN = "https://tabs.mfa-kit.test";
const available = chromiumAvailable();

const PAGE = `<!doctype html><html lang="en"><title>tab</title>
<script type="importmap">{"imports":{"@mfa-kit/protocol":"/protocol/index.js","@mfa-kit/protocol/vocabulary":"/protocol/vocabulary.js"}}</script>
<script type="module">
import { createMfaClient } from "/client/index.js";
window.prompts = 0;
window.mfa = createMfaClient({
  session: { storage: "localStorage" },
  getAccessToken: () => "t1",
  refreshAccessToken: async () => (await (await fetch("/auth/refresh", { method: "POST" })).json()).token,
  onChallenge: () => new Promise((resolve) => { window.prompts++; window.answer = resolve; }),
});
window.ready = true;
</script>`;

describe.skipIf(!available)("tabs of one origin in Chromium", () => {
  let browser: Browser;
  let context: BrowserContext;
  let a: Page;
  let b: Page;
  const counts = { refresh: 0, data: 0, verify: 0 };

  const json = (route: Route, body: unknown, status = 200, headers: Record<string, string> = {}) =>
    route.fulfill({
      status,
      headers: { "content-type": "application/json", date: new Date().toUTCString(), ...headers },
      body: JSON.stringify(body),
    });

  const api = async (route: Route) => {
    const request = route.request();
    const { pathname } = new URL(request.url());
    const headers = request.headers();
    if (pathname === "/") return route.fulfill({ contentType: "text/html", body: PAGE });
    const file = /^\/(client|protocol)\/([\w.-]+\.js)$/.exec(pathname);
    if (file) {
      return route.fulfill({
        contentType: "text/javascript",
        body: await readFile(`${dist(file[1]!)}${file[2]}`, "utf8"),
      });
    }
    if (pathname === "/auth/refresh") {
      counts.refresh++;
      return json(route, { token: "t2" });
    }
    if (headers.authorization !== "Bearer t2") {
      return json(route, { type: "about:blank", title: "Unauthorized", status: 401 }, 401, {
        "www-authenticate": 'Bearer error="invalid_token"',
      });
    }
    if (pathname === "/api/data") {
      counts.data++;
      return json(route, { ok: true });
    }
    if (pathname === "/api/mfa") {
      if (headers["x-session-token"] === "s1") return json(route, { ok: true });
      return json(
        route,
        {
          type: "https://mfa-kit.dev/problems/mfa-required",
          title: "MFA required",
          status: 401,
          factors: [{ id: "f1", type: "totp", status: "active", createdAt: 0 }],
        },
        401,
        {
          "content-type": "application/problem+json",
          "www-authenticate": 'Bearer error="insufficient_user_authentication", acr_values="mfa"',
        },
      );
    }
    if (pathname === "/mfa/verify") {
      counts.verify++;
      const now = Date.now();
      return json(route, {
        token: "s1",
        expiresAt: now + 900_000,
        authTime: now,
        acr: "mfa",
        amr: ["otp"],
      });
    }
    if (pathname === "/mfa/signout") return route.fulfill({ status: 204 });
    return route.fulfill({ status: 404 });
  };

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    await context?.close();
    Object.assign(counts, { refresh: 0, data: 0, verify: 0 });
    context = await browser.newContext();
    await context.route(`${ORIGIN}/**`, api);
    a = await context.newPage();
    b = await context.newPage();
    for (const page of [a, b]) {
      await page.goto(`${ORIGIN}/`);
      await page.waitForFunction(() => (window as { ready?: boolean }).ready === true);
    }
  });

  test("100 concurrent 401s split over two tabs: one token refresh", async () => {
    const fire = (page: Page) =>
      page.evaluate(async () => {
        const { mfa } = window as unknown as { mfa: { fetch(u: string): Promise<Response> } };
        const all = await Promise.all(
          Array.from({ length: 50 }, (_, i) => mfa.fetch(`/api/data?i=${i}`)),
        );
        return all.map((r) => r.status);
      });
    const [inA, inB] = await Promise.all([fire(a), fire(b)]);
    expect([...inA, ...inB]).toEqual(Array(100).fill(200));
    expect(counts.refresh).toBe(1);
    expect(counts.data).toBe(100);
  });

  // Chromium may grant the prompt's lock to the waiting tab before that tab's localStorage shows
  // the answer written in the other (storage reaches another process later): this caught it.
  test("concurrent step-ups in both tabs: one prompt, and its answer lets both through", async () => {
    const call = (page: Page) =>
      page.evaluate(async () => {
        const { mfa } = window as unknown as { mfa: { fetch(u: string): Promise<Response> } };
        return (await mfa.fetch("/api/mfa")).status;
      });
    const both = Promise.all([call(a), call(b)]);
    const prompts = () =>
      Promise.all([a, b].map((p) => p.evaluate(() => (window as { prompts?: number }).prompts)));
    await expect.poll(async () => (await prompts()).reduce((x, y) => x! + y!, 0)).toBe(1);
    const [inA] = await prompts();
    const prompting = inA === 1 ? a : b;
    await prompting.evaluate(() =>
      (window as unknown as { answer(a: unknown): void }).answer({ code: "123456" }),
    );
    expect(await both).toEqual([200, 200]);
    expect(await prompts()).toEqual(inA === 1 ? [1, 0] : [0, 1]);
    expect(counts.verify).toBe(1);
  });

  test("signing out in one tab signs out the other", async () => {
    const session = (page: Page) =>
      page.evaluate(
        () =>
          (window as unknown as { mfa: { getSnapshot(): { session: unknown } } }).mfa.getSnapshot()
            .session,
      );
    const first = a.evaluate(async () => {
      const { mfa } = window as unknown as { mfa: { fetch(u: string): Promise<Response> } };
      return (await mfa.fetch("/api/mfa")).status;
    });
    await expect.poll(() => a.evaluate(() => (window as { prompts?: number }).prompts)).toBe(1);
    await a.evaluate(() =>
      (window as unknown as { answer(a: unknown): void }).answer({ code: "123456" }),
    );
    expect(await first).toBe(200);
    await expect.poll(() => session(b)).not.toBeNull();
    await a.evaluate(() => (window as unknown as { mfa: { signOut(): void } }).mfa.signOut());
    await expect.poll(() => session(b)).toBeNull();
    expect(await session(a)).toBeNull();
  });
});
