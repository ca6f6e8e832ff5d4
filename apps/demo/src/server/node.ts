import { parseArgs } from "node:util";
import { startDemoServer } from "./startDemoServer";

// `npm run serve -w apps/demo [-- --port 8080]`: the reference API on a real Node HTTP server.
const { values } = parseArgs({
  options: {
    port: { type: "string", short: "p" },
    host: { type: "string" },
    // The app's origin(s), comma-separated, when it is served from another origin than the API.
    cors: { type: "string" },
  },
});
const port = Number(values.port ?? process.env.PORT ?? 0);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`Invalid port ${JSON.stringify(values.port ?? process.env.PORT)}: use 0 to 65535.`);
  process.exit(1);
}

// With MFA_REDIS_URL the kit keeps its state in Redis, so several instances behind one load balancer
// share lockouts, replay guards, codes and sessions. MFA_ENCRYPTION_KEY (32 bytes, base64url) must
// then be the same on every instance; MFA_REDIS_PREFIX separates several demos on one Redis.
async function redisMfaOptions(url: string) {
  const key = process.env.MFA_ENCRYPTION_KEY;
  if (!key) {
    console.error(
      "MFA_REDIS_URL needs MFA_ENCRYPTION_KEY (32 bytes, base64url) on every instance.",
    );
    process.exit(1);
  }
  const [{ Redis }, { redisStore }] = await Promise.all([
    import("ioredis"),
    import("@mfa-kit/server/redis"),
  ]);
  const client = new Redis(url);
  // While Redis is down the kit answers 503 and ioredis reconnects by itself: nothing to crash for.
  client.on("error", () => {});
  const prefix = process.env.MFA_REDIS_PREFIX ?? "mfa-demo:";
  return {
    store: redisStore(client, { prefix }),
    encryptionKeys: { current: "env", keys: { env: key } },
  };
}

// With MFA_DATABASE_URL the kit keeps its state in PostgreSQL instead (the system of record for
// factors), in the schema MFA_DATABASE_SCHEMA (default "mfa"), migrated at start. The same
// MFA_ENCRYPTION_KEY rule applies.
async function postgresMfaOptions(url: string) {
  const key = process.env.MFA_ENCRYPTION_KEY;
  if (!key) {
    console.error(
      "MFA_DATABASE_URL needs MFA_ENCRYPTION_KEY (32 bytes, base64url) on every instance.",
    );
    process.exit(1);
  }
  const [{ default: pg }, { migrate, postgresStore }] = await Promise.all([
    import("pg"),
    import("@mfa-kit/server/postgres"),
  ]);
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: 1000 });
  // While PostgreSQL is down the kit answers 503 and the pool reconnects by itself.
  pool.on("error", () => {});
  const schema = process.env.MFA_DATABASE_SCHEMA ?? "mfa";
  await migrate(pool, { schema });
  return {
    store: postgresStore(pool, { schema, purgeEveryMs: 60_000 }),
    encryptionKeys: { current: "env", keys: { env: key } },
  };
}

const redisUrl = process.env.MFA_REDIS_URL;
const databaseUrl = process.env.MFA_DATABASE_URL;
if (redisUrl && databaseUrl) {
  console.error(
    "Set MFA_REDIS_URL or MFA_DATABASE_URL, not both: the kit keeps its state in one store.",
  );
  process.exit(1);
}
const server = await startDemoServer({
  port,
  host: values.host ?? "127.0.0.1",
  ...(values.cors ? { cors: { origins: values.cors.split(",").map((o) => o.trim()) } } : {}),
  ...(redisUrl ? { mfa: await redisMfaOptions(redisUrl) } : {}),
  ...(databaseUrl ? { mfa: await postgresMfaOptions(databaseUrl) } : {}),
});
console.log(`mfa-kit demo API listening on ${server.url}`);
console.log(`PORT=${server.port}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    server.close().then(() => process.exit(0));
  });
}
