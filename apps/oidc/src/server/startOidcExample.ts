import { randomBytes } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, sep } from "node:path";
import { createMfaServer } from "@mfa-kit/server";
import { exportJWK, generateKeyPair } from "jose";
import { generateSync } from "otplib";
import { createIdentityProvider } from "./identityProvider";
import { createResourceApi } from "./resourceApi";

/** Options of {@link startOidcExample}. */
export interface OidcExampleOptions {
  /** The built SPA (`dist/web`). */
  webRoot: string;
  /** The interface to listen on. Defaults to `127.0.0.1`. */
  host?: string;
  /** Ports of the SPA, the provider and the API. Defaults to free ones. */
  ports?: { spa?: number; provider?: number; api?: number };
  /** How far the API's clock runs ahead (its `Date` header), to show drift correction. Defaults to `0`. */
  apiClockSkewMs?: number;
}

/** The running example: three origins, the demo user's factors, the API's counters. */
export interface OidcExample {
  spa: string;
  provider: string;
  api: string;
  user: { username: string; password: string; totpSecret: string; backupCodes: string[] };
  stats: { transfers: number; preflights: number };
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
};

async function listen(host: string, port: number, name = host) {
  let handler: RequestListener = (_req, res) => res.writeHead(503).end();
  const server: Server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${name}:${bound}`,
    set(h: RequestListener) {
      handler = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The SPA's files, and `/config.json` telling it where the provider and the API are. */
function spaListener(root: string, config: unknown): RequestListener {
  const base = normalize(root + sep);
  return async (req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    if (pathname === "/config.json") {
      res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-store" });
      res.end(JSON.stringify(config));
      return;
    }
    let file = normalize(join(base, pathname));
    if (!file.startsWith(base)) {
      res.writeHead(403).end();
      return;
    }
    if (
      !(await stat(file).then(
        (s) => s.isFile(),
        () => false,
      ))
    )
      file = join(base, "index.html");
    const body = await readFile(file).catch(() => null);
    if (!body) {
      res
        .writeHead(404, { "Content-Type": "text/plain" })
        .end("Build the SPA first (npm run build -w apps/oidc).\n");
      return;
    }
    res.writeHead(200, {
      "Content-Type": TYPES[extname(file)] ?? "application/octet-stream",
      "Cache-Control": "no-store",
    });
    res.end(body);
  };
}

/**
 * Starts the example's three origins: the SPA, the OpenID Provider (oidc-provider, with the MFA
 * kit as its second factor) and the resource API (requireAcr). The demo user `demo` /
 * `demo-password` has a TOTP factor and backup codes.
 */
export async function startOidcExample(options: OidcExampleOptions): Promise<OidcExample> {
  const host = options.host ?? "127.0.0.1";
  const [spa, provider, api] = await Promise.all([
    listen(host, options.ports?.spa ?? 0),
    // WebAuthn needs a domain name as relying party id: the provider is at localhost.
    listen(host, options.ports?.provider ?? 0, "localhost"),
    listen(host, options.ports?.api ?? 0),
  ]);

  const mfa = createMfaServer({
    issuer: "mfa-kit OIDC example",
    webauthn: { rpID: "localhost", rpName: "mfa-kit OIDC example", origin: provider.url },
  });
  const users = { demo: "demo-password" };
  const { factorId, secret } = await mfa.enrollTotp("demo", { label: "Authenticator app" });
  const activated = await mfa.activateFactor(
    "demo",
    factorId,
    generateSync({ secret, epoch: Math.floor(Date.now() / 1000) - 30 }),
  );
  if (!activated.ok) throw new Error(`could not enroll the demo user: ${activated.reason}`);

  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const signingKey = {
    ...(await exportJWK(privateKey)),
    kid: "example-1",
    alg: "ES256",
    use: "sig",
  };
  const audience = `${api.url}/api`;
  provider.set(
    createIdentityProvider({
      issuer: provider.url,
      spaOrigin: spa.url,
      apiAudience: audience,
      mfa,
      users,
      signingKey,
      cookieKeys: [randomBytes(32).toString("base64url")],
      webauthn: true,
    }),
  );
  const resource = createResourceApi({
    issuer: provider.url,
    audience,
    jwks: new URL(`${provider.url}/jwks`),
    spaOrigin: spa.url,
    ...(options.apiClockSkewMs ? { clockSkewMs: options.apiClockSkewMs } : {}),
  });
  api.set(resource.listener);
  spa.set(spaListener(options.webRoot, { issuer: provider.url, api: api.url }));

  return {
    spa: spa.url,
    provider: provider.url,
    api: api.url,
    user: {
      username: "demo",
      password: users.demo,
      totpSecret: secret,
      backupCodes: activated.backupCodes ?? [],
    },
    stats: resource.stats,
    close: async () => {
      await Promise.all([spa.close(), provider.close(), api.close()]);
    },
  };
}
