import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { createMfaServer, type MfaStore, memoryStore } from "@mfa-kit/server";
import { createMfaNodeHandler, requireMfaNode } from "@mfa-kit/server/node";
import { migrate, postgresStore } from "@mfa-kit/server/postgres";
import { redisStore } from "@mfa-kit/server/redis";
import { Redis } from "ioredis";
import { generateSync } from "otplib";
import pg from "pg";

// One server instance for the bench: the same small JSON route served bare (`/open`) and behind
// `requireMfaNode` (`/guarded`), plus the kit's MFA routes, on the memory store or on Redis.
// `node dist/benchServer.js --store memory|redis|postgres [--redis-url redis://127.0.0.1:6379]
//   [--database-url postgres://...]`
// prints one JSON line once it listens: see `BenchReady` in bench.ts.

const { values } = parseArgs({
  options: {
    store: { type: "string", default: "memory" },
    "redis-url": { type: "string" },
    "database-url": { type: "string" },
  },
});
const USER = "bench-user";
/** Users with a TOTP factor, for the round trips of TOTP verifications. */
const TOTP_USERS = 5;

let store: MfaStore;
let redis: Redis | undefined;
let pool: pg.Pool | undefined;
/** Statements sent to PostgreSQL (each one round trip), counted since the last `/__reset`. */
let statements = 0;
if (values.store === "postgres") {
  if (!values["database-url"]) throw new Error("--database-url is required with --store postgres");
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    statements++;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  pool = new pg.Pool({ connectionString: values["database-url"], max: 20 });
  pool.on("error", () => {});
  const schema = `bench${process.pid}`;
  await migrate(pool, { schema });
  store = postgresStore(pool, { schema });
} else if (values.store === "redis") {
  if (!values["redis-url"]) throw new Error("--redis-url is required with --store redis");
  // No auto-pipelining: the store batches concurrent session checks into one MGET itself.
  redis = new Redis(values["redis-url"]);
  redis.on("error", () => {});
  store = redisStore(redis, { prefix: `bench${process.pid}:` });
} else {
  store = memoryStore();
}

const mfa = createMfaServer({
  issuer: "mfa-kit bench",
  accountName: (userId) => `${userId}@bench.example`,
  store,
  encryptionKeys: { current: "k1", keys: { k1: randomBytes(32).toString("base64url") } },
});

// Access tokens of the primary login, by user.
const users = new Map<string, string>();
const accessToken = (userId: string) => {
  const token = `bench-access-${randomBytes(9).toString("base64url")}`;
  users.set(`Bearer ${token}`, userId);
  return token;
};

/** A user with an active TOTP factor, activated with the previous step's code (so the current one is fresh). */
async function totpUser(userId: string) {
  const { factorId, secret } = await mfa.enrollTotp(userId);
  const previous = generateSync({ secret, epoch: Math.floor(Date.now() / 1000) - 30 });
  const activated = await mfa.activateFactor(userId, factorId, previous);
  if (!activated.ok || !activated.backupCodes) throw new Error("could not activate the factor");
  return { userId, factorId, secret, accessToken: accessToken(userId), activated };
}

// A user with an active TOTP factor and a live session, as after a sign-in.
const main = await totpUser(USER);
const [first, ...backupCodes] = main.activated.backupCodes!;
const verified = await mfa.verify({ userId: USER, backupCode: first! });
if (!verified.ok) throw new Error(`could not open a session: ${verified.reason}`);
const totpUsers: { userId: string; factorId: string; secret: string; accessToken: string }[] = [];
for (let i = 0; i < 2 * TOTP_USERS; i++) {
  const { userId, factorId, secret, accessToken } = await totpUser(`totp-user-${i}`);
  totpUsers.push({ userId, factorId, secret, accessToken });
}

const profile = JSON.stringify({ id: USER, name: "Bench User", plan: "pro", balance: 1234.5 });
/** The route both `/open` and `/guarded` serve: the guard is the only difference. */
const route = (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(profile),
  });
  res.end(profile);
};

const guard = requireMfaNode(mfa);
const mfaRoutes = createMfaNodeHandler(mfa, {
  authenticate: (req) => users.get(req.headers.get("authorization") ?? "") ?? null,
});

// CPU time this process spent since the last `/__reset`, per request served since then: the cost
// of a route independent of how busy the machine is.
let cpuSince = process.cpuUsage();
let served = 0;

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  served++;
  if (req.url === "/open") return route(req, res);
  if (req.url === "/guarded") {
    // The callback form: on the memory store the route runs before the guard returns.
    void guard(req, res, () => route(req, res));
    return;
  }
  if (req.url === "/__reset") {
    cpuSince = process.cpuUsage();
    served = 0;
    statements = 0;
    res.end();
    return;
  }
  if (req.url === "/__statements") {
    res.end(JSON.stringify({ statements }));
    return;
  }
  if (req.url === "/__cpu") {
    const { user, system } = process.cpuUsage(cpuSince);
    res.end(JSON.stringify({ microsPerRequest: (user + system) / Math.max(1, served - 1) }));
    return;
  }
  mfaRoutes(req, res);
});
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  const ready = {
    port,
    token: verified.session.token,
    backupCodes,
    accessToken: main.accessToken,
    totpUsers,
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    server.closeAllConnections();
    server.close(() => {
      redis?.disconnect();
      void (pool?.end() ?? Promise.resolve()).finally(() => process.exit(0));
    });
  });
}
