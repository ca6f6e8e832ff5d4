import type { IncomingMessage, ServerResponse } from "node:http";
import { connect } from "node:net";
import { parseStepUpChallenge } from "@mfa-kit/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMfaServer } from "../server";
import { memoryStore } from "../stores/memory";
import { StoreUnavailableError } from "../stores/storeUnavailable";
import type { MfaStore } from "../stores/types";
import { type KitFixture, kitFixture, listen } from "./kitFixture.testkit";
import { createMfaNodeHandler, requireMfaNode } from "./nodeMfa";

const USER = "user-1";
let kit: KitFixture;
let server: Awaited<ReturnType<typeof listen>>;
let seen: { authorization?: string } = {};

/** The app: MFA routes, a guarded POST that reads its own body, and a plain route. */
function app() {
  const mfaRoutes = createMfaNodeHandler(kit.mfa, {
    authenticate: (_req, nodeReq) => {
      seen = { authorization: nodeReq.headers.authorization };
      return nodeReq.headers.authorization === "Bearer alice" ? USER : null;
    },
    bodyLimit: 2048,
  });
  const guard = requireMfaNode(kit.mfa, {
    authenticate: (req) => (req.headers.get("authorization") === "Bearer alice" ? USER : null),
  });
  const sessionOnly = requireMfaNode(kit.mfa, { maxAgeMs: 300_000 });
  return (req: IncomingMessage, res: ServerResponse) =>
    mfaRoutes(req, res, async () => {
      if (req.url === "/open") {
        res.end("open");
        return;
      }
      const claims = await (req.url === "/session-only" ? sessionOnly : guard)(req, res);
      if (!claims) return;
      let body = "";
      for await (const chunk of req) body += chunk;
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify({ userId: claims.userId, acr: claims.acr, body }));
    });
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { Authorization: "Bearer alice", "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

/** A GET with exactly these header lines (repeated names kept), over a raw socket. */
async function rawGet(path: string, headers: [string, string][]): Promise<string> {
  const { port } = new URL(server.url);
  const socket = connect(Number(port), "127.0.0.1");
  const lines = headers.map(([name, value]) => `${name}: ${value}\r\n`).join("");
  socket.end(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${lines}\r\n`);
  let answer = "";
  for await (const chunk of socket) answer += chunk;
  return answer;
}

beforeEach(async () => {
  kit = kitFixture();
  server = await listen(app());
});

afterEach(async () => {
  await server.close();
});

describe("createMfaNodeHandler", () => {
  it("verifies a code over node:http and answers a session with a Date header", async () => {
    const { factorId, secret } = await kit.enroll(USER);
    kit.advance(30_000);
    const res = await post("/mfa/verify", { factorId, code: kit.code(secret) });
    expect(res.status).toBe(200);
    expect(res.headers.get("date")).toBeTruthy();
    expect(await res.json()).toMatchObject({ acr: "mfa", token: expect.any(String) });
    expect(seen.authorization).toBe("Bearer alice");
  });

  it("hands requests outside the MFA routes to next()", async () => {
    expect(await (await fetch(`${server.url}/open`)).text()).toBe("open");
  });

  it("answers 404 problem+json outside the MFA routes when there is no next()", async () => {
    const alone = await listen(
      createMfaNodeHandler(kit.mfa, { authenticate: () => USER }) as never,
    );
    try {
      const res = await fetch(`${alone.url}/elsewhere`);
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    } finally {
      await alone.close();
    }
  });

  it("answers 413 for a body past bodyLimit and 401 without primary authentication", async () => {
    expect((await post("/mfa/verify", { code: "x".repeat(4096) })).status).toBe(413);
    const anonymous = await fetch(`${server.url}/mfa/factors`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe("Bearer");
  });

  it("answers 503 with Retry-After, never a session, while the store is down", async () => {
    const { factorId, secret } = await kit.enroll(USER);
    kit.advance(30_000);
    kit.storeDown = true;
    const res = await post("/mfa/verify", { factorId, code: kit.code(secret) });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    kit.storeDown = false;
    expect((await post("/mfa/verify", { factorId, code: kit.code(secret) })).status).toBe(200);
  });
});

describe("requireMfaNode", () => {
  it("answers the RFC 9470 challenge when there is no session", async () => {
    await kit.enroll(USER);
    const res = await post("/transfer", { amount: 5 });
    expect(res.status).toBe(401);
    const challenge = parseStepUpChallenge(res.headers.get("www-authenticate"));
    expect(challenge?.acrValues).toEqual(["mfa"]);
    expect(await res.json()).toMatchObject({ status: 401, backupCodes: true });
  });

  it("lets a live session through and leaves the body for the route", async () => {
    const { backupCodes } = await kit.enroll(USER);
    const session = await post("/mfa/verify", { backupCode: backupCodes[0] });
    const { token } = (await session.json()) as { token: string };
    const res = await post("/transfer", { amount: 5 }, { "X-Session-Token": token });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ userId: USER, acr: "mfa", body: '{"amount":5}' });
  });

  it("refuses another user's session", async () => {
    const { backupCodes } = await kit.enroll("someone-else");
    const other = await kit.mfa.verify({ userId: "someone-else", backupCode: backupCodes[0]! });
    if (!other.ok) throw new Error(other.reason);
    const res = await post("/transfer", {}, { "X-Session-Token": other.session.token });
    expect(res.status).toBe(401);
  });

  it("answers 503 with Retry-After while the store is down and recovers by itself", async () => {
    const { backupCodes } = await kit.enroll(USER);
    const { token } = (await (
      await post("/mfa/verify", { backupCode: backupCodes[0] })
    ).json()) as { token: string };
    kit.storeDown = true;
    const down = await post("/transfer", {}, { "X-Session-Token": token });
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("1");
    expect(await down.json()).toMatchObject({ status: 503, retryAfter: 1 });
    kit.storeDown = false;
    expect((await post("/transfer", {}, { "X-Session-Token": token })).status).toBe(200);
  });
});

describe("requireMfaNode without authenticate", () => {
  const session = async () => {
    const { backupCodes } = await kit.enroll(USER);
    const verified = await kit.mfa.verify({ userId: USER, backupCode: backupCodes[0]! });
    if (!verified.ok) throw new Error(verified.reason);
    return verified.session.token;
  };

  it("lets a valid session through with one store lookup", async () => {
    const token = await session();
    const lookups = kit.calls.length;
    const res = await post("/session-only", { amount: 1 }, { "X-Session-Token": token });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ userId: USER, body: '{"amount":1}' });
    expect(kit.calls.slice(lookups)).toEqual(["getSession"]);
  });

  it("answers invalid_session for an unknown token and step_up_required for an old one", async () => {
    const token = await session();
    const unknown = await post("/session-only", {}, { "X-Session-Token": `${token}x` });
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ type: "urn:mfa-kit:problem:invalid-session" });
    kit.advance(301_000);
    const old = await post("/session-only", {}, { "X-Session-Token": token });
    expect(old.status).toBe(401);
    expect(old.headers.get("www-authenticate")).toMatch(/max_age/);
  });

  it("reads the session header whatever the case of its name", async () => {
    const token = await session();
    const res = await rawGet("/session-only", [["x-SESSION-token", token]]);
    expect(res).toMatch(/^HTTP\/1\.1 200 /);
  });

  it("leaves a repeated session header, or one sent with X-MFA-Token, to the full guard", async () => {
    const token = await session();
    const lookups = kit.calls.length;
    const twice = await rawGet("/session-only", [
      ["X-Session-Token", token],
      ["X-Session-Token", token],
    ]);
    expect(twice).toMatch(/^HTTP\/1\.1 401 /);
    expect(twice).toContain("invalid-session");
    // No lookup: the two values read as one malformed token.
    expect(kit.calls.slice(lookups)).toEqual([]);
    const withCode = await rawGet("/session-only", [
      ["X-Session-Token", token],
      ["X-MFA-Token", "123456"],
    ]);
    expect(withCode).toMatch(/^HTTP\/1\.1 200 /);
  });

  it("answers 400 for a session header with characters a header cannot hold", async () => {
    const res = await fetch(`${server.url}/session-only`, {
      headers: { "X-Session-Token": "caf\u00e9-token-0123456789" },
    });
    expect(res.status).toBe(400);
  });

  it("answers 503 with Retry-After while the store is down", async () => {
    const token = await session();
    kit.storeDown = true;
    const res = await post("/session-only", {}, { "X-Session-Token": token });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
  });
  it("calls next before it returns, ahead of any microtask, when the store answers at once", async () => {
    const token = await session();
    const guard = requireMfaNode(kit.mfa);
    const req = { rawHeaders: ["X-Session-Token", token] } as unknown as IncomingMessage;
    const order: string[] = [];
    queueMicrotask(() => order.push("microtask"));
    const answer = guard(req, {} as ServerResponse, (claims) =>
      order.push(`next ${claims.userId}`),
    );
    order.push("returned");
    expect(order).toEqual([`next ${USER}`, "returned"]);
    expect(await answer).toMatchObject({ userId: USER });
    expect(order).toEqual([`next ${USER}`, "returned", "microtask"]);
  });

  it("calls next only once a request may go on, never for one it answered", async () => {
    const token = await session();
    const guard = requireMfaNode(kit.mfa);
    const passed: string[] = [];
    const withNext = await listen((req, res) => {
      void guard(req, res, (claims) => {
        passed.push(claims.userId);
        res.end("ok");
      });
    });
    try {
      const unknown = await fetch(withNext.url, { headers: { "X-Session-Token": `${token}x` } });
      expect(unknown.status).toBe(401);
      kit.storeDown = true;
      const down = await fetch(withNext.url, { headers: { "X-Session-Token": token } });
      expect(down.status).toBe(503);
      expect(passed).toEqual([]);
      kit.storeDown = false;
      const valid = await fetch(withNext.url, { headers: { "X-Session-Token": token } });
      expect(await valid.text()).toBe("ok");
      expect(passed).toEqual([USER]);
    } finally {
      await withNext.close();
    }
  });

  it("answers 503 when the store throws at once instead of answering", async () => {
    const token = await session();
    const inner = memoryStore();
    const throwing = new Proxy(inner, {
      get(target, name, receiver) {
        if (name === "getSession") {
          return () => {
            throw new StoreUnavailableError("store backend unreachable");
          };
        }
        const value = Reflect.get(target, name, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    }) as MfaStore;
    const mfa = createMfaServer({
      issuer: "Adapter Test",
      store: throwing,
      encryptionKeys: { current: "k1", keys: { k1: Buffer.alloc(32, 7).toString("base64url") } },
    });
    const guard = requireMfaNode(mfa);
    let nexted = false;
    const broken = await listen((req, res) => {
      void guard(req, res, () => {
        nexted = true;
      });
    });
    try {
      const res = await fetch(broken.url, { headers: { "X-Session-Token": token } });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("1");
      expect(nexted).toBe(false);
    } finally {
      await broken.close();
    }
  });
});
