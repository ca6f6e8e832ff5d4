import express from "express";
import { exportJWK, generateKeyPair, type JSONWebKeySet, SignJWT } from "jose";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { requireAcrMiddleware, requireAcrNode } from "./acr";
import { listen } from "./kitFixture.testkit";

const ISSUER = "https://id.example.com";
const AUDIENCE = "https://api.example.com";
let key: CryptoKey;
let jwks: JSONWebKeySet;
let server: Awaited<ReturnType<typeof listen>> | undefined;

beforeAll(async () => {
  const pair = await generateKeyPair("ES256", { extractable: true });
  key = pair.privateKey;
  jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256" }] };
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const token = (acr: string) =>
  new SignJWT({ sub: "alice", acr, auth_time: Math.floor(Date.now() / 1000) })
    .setProtectedHeader({ alg: "ES256", kid: "k1" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setExpirationTime("5m")
    .sign(key);

const options = () => ({
  issuer: ISSUER,
  audience: AUDIENCE,
  jwks,
  acrValues: ["mfa"],
  cors: { origins: ["https://app.example.com"] },
});

describe.each(["express", "node"] as const)("requireAcr on %s", (kind) => {
  async function serve() {
    if (kind === "express") {
      const app = express();
      app
        .route("/transfers")
        .all(requireAcrMiddleware(options()))
        .post((_req, res) => {
          res.json({ by: res.locals.acr.userId });
        });
      return listen(app);
    }
    const guard = requireAcrNode(options());
    return listen((req, res) => {
      guard(req, res, (claims) => {
        res.setHeader("Content-Type", "application/json");
        res.end(JSON.stringify({ by: claims.userId }));
      });
    });
  }

  it("lets an mfa token through, challenges a password-only one, answers the preflight", async () => {
    server = await serve();
    const post = async (acr: string) =>
      fetch(`${server!.url}/transfers`, {
        method: "POST",
        headers: { Authorization: `Bearer ${await token(acr)}`, Origin: "https://app.example.com" },
      });
    const ok = await post("mfa");
    expect(await ok.json()).toStrictEqual({ by: "alice" });
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    const weak = await post("pwd");
    expect(weak.status).toBe(401);
    expect(weak.headers.get("www-authenticate")).toContain('acr_values="mfa"');
    expect(weak.headers.get("access-control-expose-headers")).toContain("WWW-Authenticate");
    const preflight = await fetch(`${server.url}/transfers`, {
      method: "OPTIONS",
      headers: { Origin: "https://app.example.com", "Access-Control-Request-Method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-headers")).toContain("Authorization");
  });
});
