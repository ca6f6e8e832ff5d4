import { randomBytes } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { createMfaServer, type MfaStore, memoryStore } from "@mfa-kit/server";
import { createMfaNodeHandler, requireMfaNode } from "@mfa-kit/server/node";
import { redisStore } from "@mfa-kit/server/redis";
import { Redis } from "ioredis";
import { generateSync } from "otplib";

// One server instance for the bench: the same small JSON route served bare (`/open`) and behind
// `requireMfa` (`/guarded`), plus the kit's MFA routes, on the memory store or on Redis.
// `node dist/benchServer.js --store memory|redis [--redis-url redis://127.0.0.1:6379]`
// prints one JSON line once it listens: { port, token, backupCodes, accessToken }.

const { values } = parseArgs({
  options: { store: { type: "string", default: "memory" }, "redis-url": { type: "string" } },
});
const USER = "bench-user";
const ACCESS_TOKEN = "bench-access-token";

let store: MfaStore;
let redis: Redis | undefined;
if (values.store === "redis") {
  if (!values["redis-url"]) throw new Error("--redis-url is required with --store redis");
  redis = new Redis(values["redis-url"], { enableAutoPipelining: true });
  redis.on("error", () => {});
  store = redisStore(redis, { prefix: `bench${process.pid}:` });
} else {
  store = memoryStore();
}

const mfa = createMfaServer({
  issuer: "mfa-kit bench",
  store,
  encryptionKeys: { current: "k1", keys: { k1: randomBytes(32).toString("base64url") } },
});

// A user with an active TOTP factor and a live session, as after a sign-in.
const { factorId, secret } = await mfa.enrollTotp(USER);
const activated = await mfa.activateFactor(USER, factorId, generateSync({ secret }));
if (!activated.ok || !activated.backupCodes) throw new Error("could not activate the factor");
const [first, ...backupCodes] = activated.backupCodes;
const verified = await mfa.verify({ userId: USER, backupCode: first! });
if (!verified.ok) throw new Error(`could not open a session: ${verified.reason}`);

const profile = JSON.stringify({ id: USER, name: "Bench User", plan: "pro", balance: 1234.5 });
const sendProfile = (res: ServerResponse) => {
  res.writeHead(200, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(profile),
  });
  res.end(profile);
};

const guard = requireMfaNode(mfa);
const mfaRoutes = createMfaNodeHandler(mfa, {
  authenticate: (req) =>
    req.headers.get("authorization") === `Bearer ${ACCESS_TOKEN}` ? USER : null,
});

// CPU time this process spent since the last `/__reset`, per request served since then: the cost
// of a route independent of how busy the machine is.
let cpuSince = process.cpuUsage();
let served = 0;

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  served++;
  if (req.url === "/__reset") {
    cpuSince = process.cpuUsage();
    served = 0;
    res.end();
    return;
  }
  if (req.url === "/__cpu") {
    const { user, system } = process.cpuUsage(cpuSince);
    res.end(JSON.stringify({ microsPerRequest: (user + system) / Math.max(1, served - 1) }));
    return;
  }
  if (req.url === "/open") {
    sendProfile(res);
    return;
  }
  if (req.url === "/guarded") {
    guard(req, res).then((claims) => {
      if (claims) sendProfile(res);
    });
    return;
  }
  mfaRoutes(req, res);
});
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(
    `${JSON.stringify({ port, token: verified.session.token, backupCodes, accessToken: ACCESS_TOKEN })}\n`,
  );
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    server.closeAllConnections();
    server.close(() => {
      redis?.disconnect();
      process.exit(0);
    });
  });
}
