import { MfaProblemTypes } from "@mfa-kit/protocol";
import { CORS_EXPOSED_HEADERS, CORS_REQUEST_HEADERS } from "@mfa-kit/protocol/cors";
import { MfaOptionError } from "@mfa-kit/protocol/vocabulary";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { testKit, totpCode, userWithTotp } from "../testing/fixtures";
import { createCors } from "./cors";
import { createMfaHandler } from "./handler";
import { requireMfa } from "./requireMfa";

const APP = "https://app.example.com";
const EVIL = "https://evil.example";
const authenticate = (req: Request) =>
  /^Bearer token-(\w+)$/.exec(req.headers.get("authorization") ?? "")?.[1] ?? null;

const preflight = (url: string, origin: string, method = "POST") =>
  new Request(url, {
    method: "OPTIONS",
    headers: {
      Origin: origin,
      "Access-Control-Request-Method": method,
      "Access-Control-Request-Headers": "authorization, content-type, x-session-token",
    },
  });

describe("createCors", () => {
  it('refuses "*", URLs with a path, "null", an empty list and a bad maxAgeS', () => {
    expect(() => createCors({ origins: ["*"] })).toThrow(/"\*" is not accepted/);
    expect(() => createCors({ origins: [`${APP}/app`] })).toThrow(/not an origin/);
    expect(() => createCors({ origins: ["null"] })).toThrow(/not an origin/);
    expect(() => createCors({ origins: ["app.example.com"] })).toThrow(/not an origin/);
    expect(() => createCors({ origins: [] })).toThrow(/at least one/);
    expect(() => createCors({} as never)).toThrow(/required/);
    expect(() => createCors({ origins: [APP], maxAgeS: -1 })).toThrow(/maxAgeS/);
  });

  it("echoes an allowed origin (normalised from the list) and exposes the client's headers", () => {
    const cors = createCors({ origins: ["https://APP.example.com:443/"] });
    expect(Object.fromEntries(cors.headersFor(APP))).toStrictEqual({
      Vary: "Origin",
      "Access-Control-Allow-Origin": APP,
      "Access-Control-Expose-Headers": CORS_EXPOSED_HEADERS.join(", "),
    });
  });

  it("gives only Vary: Origin for other origins, the opaque origin and a throwing predicate", () => {
    const list = createCors({ origins: [APP] });
    const predicate = createCors({
      origins: (o) => {
        if (o.includes("boom")) throw new Error("boom");
        return true;
      },
    });
    for (const origin of [EVIL, "null", undefined, null, "", `${APP}.evil.example`]) {
      expect(list.headersFor(origin)).toStrictEqual([["Vary", "Origin"]]);
    }
    expect(predicate.headersFor("null")).toStrictEqual([["Vary", "Origin"]]);
    expect(predicate.headersFor("https://boom.example")).toStrictEqual([["Vary", "Origin"]]);
    expect(predicate.headersFor(EVIL)).toContainEqual(["Access-Control-Allow-Origin", EVIL]);
  });

  it("never answers with a wildcard, whatever the Origin header says", () => {
    const cors = createCors({ origins: (o) => o.startsWith("https://") });
    fc.assert(
      fc.property(fc.string(), (origin) => {
        const allowed = cors.headersFor(origin).find(([n]) => n === "Access-Control-Allow-Origin");
        expect(allowed === undefined || allowed[1] === origin).toBe(true);
        expect(allowed?.[1]).not.toBe("*");
      }),
    );
  });

  it("keeps a Vary the answer already had and copies immutable headers", async () => {
    const cors = createCors({ origins: [APP] });
    const req = new Request("https://api.example.com/x", { headers: { Origin: APP } });
    const own = cors.apply(req, new Response("x", { headers: { Vary: "Accept" } }));
    expect(own.headers.get("vary")).toBe("Accept, Origin");
    const fetched = Response.redirect("https://api.example.com/y", 302); // immutable headers
    const copied = cors.apply(req, fetched);
    expect(copied.status).toBe(302);
    expect(copied.headers.get("access-control-allow-origin")).toBe(APP);
  });
});

describe("createCors in detail", () => {
  it("names each bad option exactly", () => {
    expect(() => createCors({ origins: ["*"] })).toThrow(
      new MfaOptionError(
        "cors.origins",
        'cors.origins: "*" is not accepted: list the origins that may call (`["https://app.example.com"]`).',
      ),
    );
    expect(() => createCors({ origins: [5 as never] })).toThrow(
      new MfaOptionError(
        "cors.origins",
        'cors.origins: 5 is not an origin: write scheme, host and port only ("https://app.example.com").',
      ),
    );
    expect(() => createCors({ origins: [`${APP}?x=1`] })).toThrow(/not an origin/);
    expect(() => createCors({ origins: [`https://user@app.example.com`] })).toThrow(
      /not an origin/,
    );
    expect(() => createCors({ origins: [] })).toThrow(
      new MfaOptionError("cors.origins", "cors.origins: list at least one origin."),
    );
    expect(() => createCors({ origins: "https://app.example.com" as never })).toThrow(
      new MfaOptionError(
        "cors.origins",
        "cors.origins: an array of origins or a function `(origin) => boolean` is required.",
      ),
    );
    for (const maxAgeS of [-1, 1.5, Number.NaN]) {
      expect(() => createCors({ origins: [APP], maxAgeS })).toThrow(
        new MfaOptionError("cors.maxAgeS", "cors.maxAgeS: a whole number of seconds, 0 or more."),
      );
    }
    expect(() => createCors({ origins: [APP], maxAgeS: 0 })).not.toThrow();
  });

  it("allows credentials only when asked, and only a predicate's literal true", () => {
    const withCredentials = createCors({ origins: [APP], credentials: true });
    expect(withCredentials.headersFor(APP)).toContainEqual([
      "Access-Control-Allow-Credentials",
      "true",
    ]);
    expect(
      createCors({ origins: [APP], credentials: "yes" as never })
        .headersFor(APP)
        .map(([name]) => name),
    ).not.toContain("Access-Control-Allow-Credentials");
    const truthy = createCors({ origins: () => 1 as never });
    expect(truthy.headersFor(APP)).toStrictEqual([["Vary", "Origin"]]);
  });

  it("refuses origins over 2048 characters", () => {
    const cors = createCors({ origins: () => true });
    const origin = (length: number) => `https://${"a".repeat(length - 12)}.com`;
    expect(cors.headersFor(origin(2048))).toHaveLength(3);
    expect(cors.headersFor(origin(2049))).toStrictEqual([["Vary", "Origin"]]);
  });

  it("answers a preflight with 204 and exactly the preflight headers", async () => {
    const cors = createCors({ origins: [APP] });
    const res = cors.preflight(preflight("https://api.example.com/x", APP, "PUT"), null)!;
    expect(res.status).toBe(204);
    expect(Object.fromEntries(res.headers)).toStrictEqual({
      "access-control-allow-origin": APP,
      "access-control-allow-methods": "PUT",
      "access-control-allow-headers": CORS_REQUEST_HEADERS.join(", "),
      "access-control-max-age": "600",
      "cache-control": "no-store",
      vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
    });
    // not a preflight: no answer
    expect(cors.preflight(new Request("https://api.example.com/x"), null)).toBeNull();
    const noMethod = new Request("https://api.example.com/x", {
      method: "OPTIONS",
      headers: { Origin: APP },
    });
    expect(cors.preflight(noMethod, null)).toBeNull();
    const noOrigin = new Request("https://api.example.com/x", {
      method: "OPTIONS",
      headers: { "Access-Control-Request-Method": "POST" },
    });
    expect(cors.preflight(noOrigin, null)).toBeNull();
  });

  it("refuses a preflight with 403 naming the origin or the method, cut to 32 characters", async () => {
    const cors = createCors({ origins: [APP] });
    const evil = cors.preflight(preflight("https://api.example.com/x", EVIL), null)!;
    expect(evil.status).toBe(403);
    expect(Object.fromEntries(evil.headers)).toMatchObject({
      "content-type": "application/problem+json",
      "cache-control": "no-store",
      vary: "Origin",
    });
    expect(await evil.json()).toMatchObject({
      status: 403,
      detail: "This origin may not call the API.",
    });
    const long = "X".repeat(40);
    const method = cors.preflight(preflight("https://api.example.com/x", APP, long), ["POST"])!;
    expect(method.status).toBe(403);
    expect((await method.json()).detail).toBe(`${"X".repeat(32)} is not allowed here.`);
    const notToken = cors.preflight(preflight("https://api.example.com/x", APP, "PO ST"), null)!;
    expect((await notToken.json()).detail).toBe("PO ST is not allowed here.");
  });

  it("adds Origin to a Vary that lacks it, and leaves one that has it", () => {
    const cors = createCors({ origins: [APP] });
    const req = new Request("https://api.example.com/x", { headers: { Origin: APP } });
    const vary = (value: string) =>
      cors.apply(req, new Response(null, { headers: { Vary: value } })).headers.get("vary");
    expect(vary("Accept-Encoding, origin")).toBe("Accept-Encoding, origin");
    expect(vary("Origin")).toBe("Origin");
    expect(vary("Origins")).toBe("Origins, Origin");
    expect(cors.apply(req, new Response(null)).headers.get("vary")).toBe("Origin");
  });
});

describe("createMfaHandler with cors", () => {
  async function setup() {
    const kit = testKit();
    await userWithTotp(kit);
    const handler = createMfaHandler(kit.mfa, {
      authenticate,
      cors: { origins: [APP], maxAgeS: 120 },
    });
    return { kit, handler };
  }

  it("answers a preflight from an allowed origin with the route's methods and the kit's headers", async () => {
    const { handler } = await setup();
    const res = await handler(preflight("https://api.example.com/mfa/verify", APP));
    expect(res?.status).toBe(204);
    expect(res?.headers.get("access-control-allow-origin")).toBe(APP);
    expect(res?.headers.get("access-control-allow-methods")).toBe("POST");
    expect(res?.headers.get("access-control-allow-headers")).toBe(CORS_REQUEST_HEADERS.join(", "));
    expect(res?.headers.get("access-control-max-age")).toBe("120");
    expect(res?.headers.get("vary")).toMatch(/^Origin\b/);
    const remove = await handler(
      preflight("https://api.example.com/mfa/factors/f1", APP, "DELETE"),
    );
    // One factor's resource takes DELETE (remove) and PATCH (rename).
    expect(remove?.headers.get("access-control-allow-methods")).toBe("DELETE, PATCH");
  });

  it("refuses a preflight from another origin or for a method the route does not take, with 403 problem+json", async () => {
    const { handler } = await setup();
    for (const req of [
      preflight("https://api.example.com/mfa/verify", EVIL),
      preflight("https://api.example.com/mfa/verify", APP, "DELETE"),
      preflight("https://api.example.com/mfa/nowhere", APP),
    ]) {
      const res = await handler(req);
      expect(res?.status).toBe(403);
      expect(res?.headers.get("access-control-allow-origin")).toBeNull();
      expect(res?.headers.get("content-type")).toBe("application/problem+json");
      expect(await res?.json()).toMatchObject({ type: MfaProblemTypes.invalid_request });
    }
  });

  it("exposes WWW-Authenticate and Date on a 401 and a success, to the allowed origin only", async () => {
    const { handler } = await setup();
    const call = (origin: string, auth?: string) =>
      handler(
        new Request("https://api.example.com/mfa/factors", {
          headers: { Origin: origin, ...(auth ? { Authorization: auth } : {}) },
        }),
      );
    for (const res of [await call(APP), await call(APP, "Bearer token-alice")]) {
      expect(res?.headers.get("access-control-allow-origin")).toBe(APP);
      expect(res?.headers.get("access-control-expose-headers")).toBe(
        "WWW-Authenticate, Retry-After, RateLimit, RateLimit-Policy, Date",
      );
      expect(res?.headers.get("vary")).toBe("Origin");
    }
    const other = await call(EVIL, "Bearer token-alice");
    expect(other?.status).toBe(200);
    expect(other?.headers.get("access-control-allow-origin")).toBeNull();
    expect(other?.headers.get("vary")).toBe("Origin");
  });

  it("leaves OPTIONS outside the base path and non-preflight OPTIONS to the app", async () => {
    const { handler } = await setup();
    expect(await handler(preflight("https://api.example.com/transfers", APP))).toBeNull();
    expect(
      await handler(new Request("https://api.example.com/mfa/verify", { method: "OPTIONS" })),
    ).toBeNull();
  });

  it("without cors answers no preflight and sends no CORS header", async () => {
    const kit = testKit();
    const handler = createMfaHandler(kit.mfa, { authenticate });
    expect(await handler(preflight("https://api.example.com/mfa/verify", APP))).toBeNull();
    const res = await handler(
      new Request("https://api.example.com/mfa/factors", { headers: { Origin: APP } }),
    );
    expect(res?.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("requireMfa with cors", () => {
  it("answers the preflight of a guarded route with the method asked for", async () => {
    const kit = testKit();
    const guard = requireMfa(kit.mfa, { cors: { origins: [APP] } });
    const result = await guard(preflight("https://api.example.com/transfers", APP, "PUT"));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.response.status).toBe(204);
    expect(result.response.headers.get("access-control-allow-methods")).toBe("PUT");
  });

  it("exposes the step-up challenge of a denial, and hands the headers of an acceptance to the route", async () => {
    const kit = testKit();
    await userWithTotp(kit);
    const guard = requireMfa(kit.mfa, { cors: { origins: [APP] } });
    const denied = await guard(
      new Request("https://api.example.com/transfers", {
        method: "POST",
        headers: { Origin: APP },
      }),
    );
    expect(denied.ok).toBe(false);
    if (denied.ok) return;
    expect(denied.response.status).toBe(401);
    expect(denied.response.headers.get("access-control-allow-origin")).toBe(APP);
    expect(denied.response.headers.get("access-control-expose-headers")).toContain(
      "WWW-Authenticate",
    );
    const { secret } = await userWithTotp(kit, "bob");
    const verified = await kit.mfa.verify({ userId: "bob", code: totpCode(secret, kit.clock.now) });
    if (!verified.ok) throw new Error(verified.reason);
    const accepted = await guard(
      new Request("https://api.example.com/transfers", {
        method: "POST",
        headers: { Origin: APP, "X-Session-Token": verified.session.token },
      }),
    );
    expect(accepted).toMatchObject({ ok: true, claims: { userId: "bob" } });
    expect(accepted.ok && accepted.headers?.get("access-control-allow-origin")).toBe(APP);
  });

  it("without cors gives an acceptance no headers member", async () => {
    const kit = testKit();
    const { secret } = await userWithTotp(kit);
    const verified = await kit.mfa.verify({
      userId: "alice",
      code: totpCode(secret, kit.clock.now),
    });
    if (!verified.ok) throw new Error(verified.reason);
    const accepted = await requireMfa(kit.mfa)(
      new Request("https://api.example.com/t", {
        headers: { Origin: APP, "X-Session-Token": verified.session.token },
      }),
    );
    expect(accepted.ok && "headers" in accepted).toBe(false);
  });
});
