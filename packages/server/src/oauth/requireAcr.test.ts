import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseStepUpChallenge } from "@mfa-kit/protocol";
import { OAuthProblemTypes } from "@mfa-kit/protocol/oauth";
import fc from "fast-check";
import {
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JSONWebKeySet,
  type JWTPayload,
  SignJWT,
  UnsecuredJWT,
} from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { requireAcr } from "./requireAcr";

const ISSUER = "https://id.example.com";
const AUDIENCE = "https://api.example.com";
const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);
const sec = (ms: number) => Math.floor(ms / 1000);

let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
let ec: Awaited<ReturnType<typeof generateKeyPair>>;
let other: Awaited<ReturnType<typeof generateKeyPair>>;
let jwks: JSONWebKeySet;

beforeAll(async () => {
  rsa = await generateKeyPair("RS256", { extractable: true });
  ec = await generateKeyPair("ES256", { extractable: true });
  other = await generateKeyPair("RS256", { extractable: true });
  jwks = {
    keys: [
      { ...(await exportJWK(rsa.publicKey)), kid: "rsa-1", alg: "RS256", use: "sig" },
      { ...(await exportJWK(ec.publicKey)), kid: "ec-1", alg: "ES256", use: "sig" },
    ],
  };
  // Two RSA key pairs: seconds on a busy machine.
}, 60_000);

const claims = (extra: JWTPayload = {}): JWTPayload => ({
  iss: ISSUER,
  aud: AUDIENCE,
  sub: "alice",
  acr: "mfa",
  amr: ["pwd", "otp"],
  auth_time: sec(NOW) - 60,
  iat: sec(NOW) - 60,
  exp: sec(NOW) + 600,
  ...extra,
});

async function sign(
  payload: JWTPayload = claims(),
  header: { alg?: string; kid?: string } = {},
  key: CryptoKey = rsa.privateKey,
) {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: header.alg ?? "RS256", kid: header.kid ?? "rsa-1", typ: "at+jwt" })
    .sign(key);
}

const call = (token: string | null, init: Record<string, string> = {}) =>
  new Request(`${AUDIENCE}/transfers`, {
    method: "POST",
    headers: { ...(token !== null ? { Authorization: `Bearer ${token}` } : {}), ...init },
  });

const guardOf = (extra: Partial<Parameters<typeof requireAcr>[0]> = {}) =>
  requireAcr({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks,
    acrValues: ["mfa"],
    now: () => NOW,
    ...extra,
  });

async function expectInvalidToken(result: Awaited<ReturnType<ReturnType<typeof guardOf>>>) {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.response.status).toBe(401);
  expect(result.response.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
  expect(result.response.headers.get("content-type")).toBe("application/problem+json");
  const body = await result.response.json();
  expect(body).toMatchObject({ type: OAuthProblemTypes.invalid_token, status: 401 });
  return body as { detail: string };
}

async function expectStepUp(
  result: Awaited<ReturnType<ReturnType<typeof guardOf>>>,
  expected: { acrValues: string[]; maxAge?: number },
) {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.response.status).toBe(401);
  expect(parseStepUpChallenge(result.response.headers)).toMatchObject(expected);
  expect(await result.response.json()).toMatchObject({
    type: OAuthProblemTypes.insufficient_user_authentication,
    ...expected,
  });
}

describe("requireAcr", () => {
  it("lets a token with an accepted acr through, with its claims", async () => {
    const result = await guardOf()(call(await sign()));
    expect(result).toMatchObject({
      ok: true,
      claims: {
        userId: "alice",
        acr: "mfa",
        amr: ["pwd", "otp"],
        authTime: (sec(NOW) - 60) * 1000,
        expiresAt: (sec(NOW) + 600) * 1000,
      },
    });
    const es = await guardOf()(
      call(await sign(claims(), { alg: "ES256", kid: "ec-1" }, ec.privateKey)),
    );
    expect(es.ok).toBe(true);
  });

  it("answers a password-only token with the RFC 9470 challenge naming acr_values", async () => {
    await expectStepUp(await guardOf()(call(await sign(claims({ acr: "pwd" })))), {
      acrValues: ["mfa"],
    });
    await expectStepUp(await guardOf()(call(await sign(claims({ acr: undefined })))), {
      acrValues: ["mfa"],
    });
  });

  it("ranks acr values by acrOrder: stronger passes, weaker and unknown do not", async () => {
    const guard = guardOf({ acrOrder: ["pwd", "mfa", "phr"] });
    expect((await guard(call(await sign(claims({ acr: "phr" }))))).ok).toBe(true);
    await expectStepUp(await guard(call(await sign(claims({ acr: "pwd" })))), {
      acrValues: ["mfa"],
    });
    await expectStepUp(await guard(call(await sign(claims({ acr: "gold" })))), {
      acrValues: ["mfa"],
    });
    // Without acrOrder, only exact matches count.
    await expectStepUp(await guardOf()(call(await sign(claims({ acr: "phr" })))), {
      acrValues: ["mfa"],
    });
  });

  it("asks for max_age when auth_time is too old, missing, or in the future", async () => {
    const guard = guardOf({ maxAgeMs: 300_000 });
    expect((await guard(call(await sign(claims({ auth_time: sec(NOW) - 290 }))))).ok).toBe(true);
    for (const auth_time of [sec(NOW) - 400, undefined, sec(NOW) + 120, Number.NaN]) {
      await expectStepUp(await guard(call(await sign(claims({ auth_time })))), {
        acrValues: ["mfa"],
        maxAge: 300,
      });
    }
    // Without maxAgeMs, the age of the authentication does not matter.
    expect((await guardOf()(call(await sign(claims({ auth_time: undefined }))))).ok).toBe(true);
  });

  it("refuses alg none with invalid_token", async () => {
    const unsecured = new UnsecuredJWT(claims()).encode();
    await expectInvalidToken(await guardOf()(call(unsecured)));
  });

  it("refuses a token HMAC-signed with the RSA public key (HS/RS confusion)", async () => {
    const pem = new TextEncoder().encode(await exportSPKI(rsa.publicKey));
    const jwk = { ...jwks.keys[0]! };
    const forged = await new SignJWT(claims())
      .setProtectedHeader({ alg: "HS256", kid: "rsa-1" })
      .sign(pem);
    const raw = new TextEncoder().encode(JSON.stringify(jwk));
    const forged2 = await new SignJWT(claims())
      .setProtectedHeader({ alg: "HS256", kid: "rsa-1" })
      .sign(raw);
    for (const token of [forged, forged2]) await expectInvalidToken(await guardOf()(call(token)));
  });

  it("refuses an unknown kid, a key not in the set, a tampered payload", async () => {
    expect(
      (await expectInvalidToken(await guardOf()(call(await sign(claims(), { kid: "rsa-9" })))))
        ?.detail,
    ).toMatch(/unknown key/);
    await expectInvalidToken(
      await guardOf()(call(await sign(claims(), { kid: "rsa-1" }, other.privateKey))),
    );
    const [h, , s] = (await sign()).split(".");
    const p = Buffer.from(JSON.stringify(claims({ acr: "phr", sub: "mallory" }))).toString(
      "base64url",
    );
    await expectInvalidToken(await guardOf()(call(`${h}.${p}.${s}`)));
  });

  it("refuses a wrong issuer or audience, an expired or not-yet-valid token, no exp or sub", async () => {
    for (const payload of [
      claims({ iss: "https://evil.example" }),
      claims({ aud: "https://other-api.example.com" }),
      claims({ exp: sec(NOW) - 60 }),
      claims({ nbf: sec(NOW) + 60 }),
      claims({ exp: undefined }),
      claims({ sub: undefined }),
    ]) {
      await expectInvalidToken(await guardOf()(call(await sign(payload))));
    }
  });

  it("answers a request without a token with a bare Bearer challenge, and garbage with invalid_token", async () => {
    const none = await guardOf()(call(null));
    expect(none.ok).toBe(false);
    if (!none.ok) {
      expect(none.response.headers.get("www-authenticate")).toBe("Bearer");
      expect(await none.response.json()).toMatchObject({ type: OAuthProblemTypes.invalid_token });
    }
    await expectInvalidToken(await guardOf()(call(null, { Authorization: "Basic YTpi" })));
    await expectInvalidToken(await guardOf()(call("a.b.c")));
  });

  it("never throws and never lets garbage through", async () => {
    const guard = guardOf();
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "grapheme-ascii" }), async (value) => {
        const result = await guard(call(value.replace(/[\r\n]/g, "")));
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.response.status).toBe(401);
      }),
      { numRuns: 200 },
    );
  });

  it("refuses symmetric algorithms and missing requirements at start-up", () => {
    expect(() => guardOf({ algorithms: ["HS256"] })).toThrow(/asymmetric/);
    expect(() => guardOf({ algorithms: ["none"] })).toThrow(/asymmetric/);
    expect(() => guardOf({ issuer: "" })).toThrow(/issuer/);
    expect(() => guardOf({ audience: [] })).toThrow(/audience/);
    expect(() => guardOf({ acrValues: [] })).toThrow(/acrValues/);
    expect(() => guardOf({ jwks: {} as JSONWebKeySet })).toThrow(/jwks/);
    expect(() => guardOf({ maxAgeMs: -1 })).toThrow(/maxAgeMs/);
  });

  it("answers preflights and exposes its challenge with cors", async () => {
    const guard = guardOf({ cors: { origins: ["https://app.example.com"] } });
    const denied = await guard(
      call(await sign(claims({ acr: "pwd" })), { Origin: "https://app.example.com" }),
    );
    expect(!denied.ok && denied.response.headers.get("access-control-expose-headers")).toContain(
      "WWW-Authenticate",
    );
    const preflight = await guard(
      new Request(`${AUDIENCE}/transfers`, {
        method: "OPTIONS",
        headers: { Origin: "https://app.example.com", "Access-Control-Request-Method": "POST" },
      }),
    );
    expect(!preflight.ok && preflight.response.status).toBe(204);
    expect(
      !preflight.ok && preflight.response.headers.get("access-control-allow-headers"),
    ).toContain("Authorization");
    const ok = await guard(call(await sign(), { Origin: "https://app.example.com" }));
    expect(ok.ok && ok.headers?.get("access-control-allow-origin")).toBe("https://app.example.com");
  });
});

describe("requireAcr with a jwks_uri", () => {
  let hits = 0;
  let up = true;
  let keys: JSONWebKeySet = { keys: [] };
  const server = createServer((_req, res) => {
    hits++;
    if (!up) {
      res.statusCode = 500;
      res.end();
      return;
    }
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify(keys));
  });
  let url: URL;
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it("fetches the keys once, caches them, and refetches for a new kid (rotation)", async () => {
    keys = { keys: [jwks.keys[0]!] };
    hits = 0;
    const guard = guardOf({ jwks: url });
    const results = await Promise.all(
      Array.from({ length: 5 }, async () => guard(call(await sign()))),
    );
    expect(results.map((r) => (r.ok ? 200 : r.response.status))).toStrictEqual([
      200, 200, 200, 200, 200,
    ]);
    expect((await guard(call(await sign()))).ok).toBe(true);
    expect(hits).toBe(1);
    // An unknown kid refetches, at most once per 30 s cooldown (no refetch storm from forged kids).
    keys = { keys: [...jwks.keys] };
    const ecToken = await sign(claims(), { alg: "ES256", kid: "ec-1" }, ec.privateKey);
    await expectInvalidToken(await guard(call(ecToken)));
    expect(hits).toBe(1);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 31_000);
    const rotated = await guard(
      call(await sign(claims(), { alg: "ES256", kid: "ec-1" }, ec.privateKey)),
    );
    vi.useRealTimers();
    expect(rotated.ok).toBe(true);
    expect(hits).toBe(2);
  });

  it("fails closed with 503 and Retry-After when the keys cannot be fetched", async () => {
    up = false;
    const guard = guardOf({ jwks: url });
    const result = await guard(call(await sign()));
    up = true;
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.response.status).toBe(503);
    expect(result.response.headers.get("retry-after")).toBe("5");
  });
});
