import express from "express";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mfaRouter, requireMfaMiddleware } from "./express";
import { type KitFixture, kitFixture, listen } from "./kitFixture.testkit";

const USER = "user-1";
let kit: KitFixture;
let server: Awaited<ReturnType<typeof listen>>;

type AuthedRequest = express.Request & { userId?: string };

/** An Express 5 app: primary auth middleware, JSON parsing, the MFA router mounted under /api. */
function app(options: { parseJsonFirst: boolean }) {
  const a = express();
  a.use((req: AuthedRequest, _res, next) => {
    if (req.get("authorization") === "Bearer alice") req.userId = USER;
    next();
  });
  if (options.parseJsonFirst) a.use(express.json());
  a.use(
    "/api",
    mfaRouter(kit.mfa, {
      basePath: "/api/mfa",
      authenticate: (_req, expressReq: AuthedRequest) => expressReq.userId ?? null,
    }),
  );
  if (!options.parseJsonFirst) a.use(express.json());
  a.post(
    "/api/transfers",
    requireMfaMiddleware(kit.mfa, {
      maxAgeMs: 300_000,
      authenticate: (_req, expressReq: AuthedRequest) => expressReq.userId ?? null,
    }),
    (req, res) => {
      res.json({ by: res.locals.mfa.userId, amount: req.body.amount });
    },
  );
  a.get("/api/hello", (_req, res) => {
    res.send("hello");
  });
  return a;
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { Authorization: "Bearer alice", "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

beforeEach(() => {
  kit = kitFixture();
});

afterEach(async () => {
  await server.close();
});

describe.each([
  { parseJsonFirst: true, title: "after express.json()" },
  { parseJsonFirst: false, title: "before express.json()" },
])("mfaRouter $title", ({ parseJsonFirst }) => {
  beforeEach(async () => {
    server = await listen(app({ parseJsonFirst }));
  });

  it("verifies a code under its mount path and answers a session", async () => {
    const { factorId, secret } = await kit.enroll(USER);
    kit.advance(30_000);
    const res = await post("/api/mfa/verify", { factorId, code: kit.code(secret) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ acr: "mfa", amr: expect.any(Array) });
  });

  it("answers a wrong code with invalid_code and attemptsLeft", async () => {
    const { factorId } = await kit.enroll(USER);
    const res = await post("/api/mfa/verify", { factorId, code: "000000" });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.json()).toMatchObject({ attemptsLeft: 2 });
  });

  it("hands every other route to the app", async () => {
    expect(await (await fetch(`${server.url}/api/hello`)).text()).toBe("hello");
  });
});

describe("requireMfaMiddleware", () => {
  beforeEach(async () => {
    server = await listen(app({ parseJsonFirst: false }));
  });

  it("runs the route with the claims in res.locals.mfa and the body still parsed", async () => {
    const { backupCodes } = await kit.enroll(USER);
    const { token } = (await (
      await post("/api/mfa/verify", { backupCode: backupCodes[0] })
    ).json()) as { token: string };
    const res = await post("/api/transfers", { amount: 42 }, { "X-Session-Token": token });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ by: USER, amount: 42 });
  });

  it("answers step_up_required with max_age when the session is too old", async () => {
    const { backupCodes } = await kit.enroll(USER);
    const { token } = (await (
      await post("/api/mfa/verify", { backupCode: backupCodes[0] })
    ).json()) as { token: string };
    kit.advance(301_000);
    const res = await post("/api/transfers", { amount: 42 }, { "X-Session-Token": token });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/max_age="?300"?/);
    expect(await res.json()).toMatchObject({ type: "urn:mfa-kit:problem:step-up-required" });
  });

  it("answers 503 with Retry-After while the store is down, and the route never runs", async () => {
    const { backupCodes } = await kit.enroll(USER);
    const { token } = (await (
      await post("/api/mfa/verify", { backupCode: backupCodes[0] })
    ).json()) as { token: string };
    kit.storeDown = true;
    const res = await post("/api/transfers", { amount: 42 }, { "X-Session-Token": token });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await res.json()).not.toHaveProperty("by");
  });
});

describe("requireMfaMiddleware without authenticate", () => {
  /** A session of USER, opened through the kit's own verify. */
  async function session() {
    const { backupCodes } = await kit.enroll(USER);
    const verified = await kit.mfa.verify({ userId: USER, backupCode: backupCodes[0]! });
    if (!verified.ok) throw new Error(verified.reason);
    return verified.session.token;
  }

  beforeEach(async () => {
    const a = express();
    a.get("/profile", requireMfaMiddleware(kit.mfa, { maxAgeMs: 300_000 }), (_req, res) => {
      res.json({ by: res.locals.mfa.userId });
    });
    server = await listen(a);
  });

  const get = (headers: Record<string, string>) => fetch(`${server.url}/profile`, { headers });

  it("lets a live session through with its claims in res.locals.mfa", async () => {
    const token = await session();
    const res = await get({ "x-session-token": token });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ by: USER });
  });

  it("answers invalid_session for an unknown token and step_up_required for an old one", async () => {
    const token = await session();
    const unknown = await get({ "X-Session-Token": `${token}x` });
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ type: "urn:mfa-kit:problem:invalid-session" });
    kit.advance(301_000);
    const old = await get({ "X-Session-Token": token });
    expect(old.status).toBe(401);
    expect(old.headers.get("www-authenticate")).toMatch(/max_age="?300"?/);
  });

  it("answers 503 with Retry-After while the store is down, and recovers by itself", async () => {
    const token = await session();
    kit.storeDown = true;
    const down = await get({ "X-Session-Token": token });
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("1");
    kit.storeDown = false;
    expect((await get({ "X-Session-Token": token })).status).toBe(200);
  });

  it("calls next before it returns when the store answers at once", async () => {
    const token = await session();
    const middleware = requireMfaMiddleware(kit.mfa);
    const res = { locals: {} as Record<string, unknown> };
    const order: string[] = [];
    const returned = middleware(
      { rawHeaders: ["X-Session-Token", token] } as never,
      res as never,
      () => order.push("next"),
    );
    order.push("returned");
    expect(order).toEqual(["next", "returned"]);
    expect(returned).toBeUndefined();
    expect(res.locals.mfa).toMatchObject({ userId: USER });
  });
});
