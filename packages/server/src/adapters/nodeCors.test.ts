import express from "express";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mfaRouter, requireMfaMiddleware } from "./express";
import { type KitFixture, kitFixture, listen } from "./kitFixture.testkit";
import { createMfaNodeHandler, requireMfaNode } from "./nodeMfa";

const APP = "https://app.example.com";
const cors = { origins: [APP], maxAgeS: 60 };
let kit: KitFixture;
let server: Awaited<ReturnType<typeof listen>> | undefined;

beforeEach(() => {
  kit = kitFixture();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function sessionToken(userId: string) {
  const { secret } = await kit.enroll(userId);
  kit.advance(30_000);
  const verified = await kit.mfa.verify({ userId, code: kit.code(secret) });
  if (!verified.ok) throw new Error(verified.reason);
  return verified.session.token;
}

const preflight = (url: string, method = "POST", origin = APP) =>
  fetch(url, {
    method: "OPTIONS",
    headers: { Origin: origin, "Access-Control-Request-Method": method },
  });

describe("the Express adapters with cors", () => {
  function app() {
    const a = express();
    a.use(mfaRouter(kit.mfa, { authenticate: () => "u1", cors }));
    // `all`: Express answers OPTIONS itself for a path that has no OPTIONS route, so the guard
    // must see every method for the preflight to reach it.
    a.route("/transfers")
      .all(requireMfaMiddleware(kit.mfa, { cors }))
      .post((_req, res) => {
        res.json({ ok: true });
      });
    return a;
  }

  it("answers preflights of the MFA routes and of a guarded route", async () => {
    server = await listen(app());
    const mfa = await preflight(`${server.url}/mfa/verify`);
    expect(mfa.status).toBe(204);
    expect(mfa.headers.get("access-control-allow-origin")).toBe(APP);
    expect(mfa.headers.get("access-control-allow-headers")).toContain("X-Session-Token");
    const route = await preflight(`${server.url}/transfers`);
    expect(route.status).toBe(204);
    expect(route.headers.get("access-control-max-age")).toBe("60");
    expect(
      (await preflight(`${server.url}/transfers`, "POST", "https://evil.example")).status,
    ).toBe(403);
  });

  it("exposes the challenge of a denial and gives the route's own answer the CORS headers", async () => {
    server = await listen(app());
    const denied = await fetch(`${server.url}/transfers`, {
      method: "POST",
      headers: { Origin: APP },
    });
    expect(denied.status).toBe(401);
    expect(denied.headers.get("access-control-allow-origin")).toBe(APP);
    expect(denied.headers.get("access-control-expose-headers")).toContain("WWW-Authenticate");
    const token = await sessionToken("u1");
    const ok = await fetch(`${server.url}/transfers`, {
      method: "POST",
      headers: { Origin: APP, "X-Session-Token": token },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(APP);
    expect(ok.headers.get("vary")).toContain("Origin");
  });
});

describe("the node:http adapters with cors", () => {
  it("answers preflights and gives a guarded route's answer the CORS headers on the fast path", async () => {
    const routes = createMfaNodeHandler(kit.mfa, { authenticate: () => "u2", cors });
    const guard = requireMfaNode(kit.mfa, { cors });
    server = await listen((req, res) =>
      routes(req, res, () => {
        guard(req, res, () => {
          res.setHeader("Vary", "Accept-Encoding");
          res.end("done");
        });
      }),
    );
    expect((await preflight(`${server.url}/mfa/challenge`)).status).toBe(204);
    const route = await preflight(`${server.url}/payments`, "PATCH");
    expect(route.status).toBe(204);
    expect(route.headers.get("access-control-allow-methods")).toBe("PATCH");
    const token = await sessionToken("u2");
    const ok = await fetch(`${server.url}/payments`, {
      headers: { Origin: APP, "X-Session-Token": token },
    });
    expect(await ok.text()).toBe("done");
    expect(ok.headers.get("access-control-allow-origin")).toBe(APP);
    const other = await fetch(`${server.url}/payments`, {
      headers: { Origin: "https://evil.example", "X-Session-Token": token },
    });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
});
