import { createHash, randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { createMfaServer, type MfaStore, memoryStore, type StoredSession } from "@mfa-kit/server";
import { migrate, postgresStore } from "@mfa-kit/server/postgres";
import { redisStore } from "@mfa-kit/server/redis";
import {
  postgresUnavailableReason,
  redisUnavailableReason,
  startPostgresServer,
  startRedisServer,
} from "@mfa-kit/test-utils";
import { Redis } from "ioredis";
import { generateSync } from "otplib";
import pg from "pg";

// `npm run bench:scale`: how the cost of the kit grows with its users, on each store. For each size
// (1 000, 100 000, 1 000 000 enrolled users with as many live sessions; `BENCH_SCALE_SIZES=1000,
// 100000` to choose; `BENCH_SCALE_STORES=memory` for one store) it fills the store with users shaped like real ones (a TOTP factor record and
// a set of 10 backup-code hashes, copied from a real enrollment with fresh random bytes), then
// prints the bytes per enrolled user and per live session (memory: V8 heap and array buffers; Redis: MEMORY USAGE of
// one user's keys and of a session key; PostgreSQL: table + index size), the session check's p50 and
// p99 (mfa.checkSession of random live sessions: hash the token, one store lookup; one at a time,
// the token-hash cache off; with, in parentheses, its p50 over the smallest size's, a store of its
// own measured in alternate batches of the same run) and the verification throughput
// (backup codes of users enrolled through the kit, 8 in flight). Not part of `npm test`.

const SIZES = (process.env.BENCH_SCALE_SIZES ?? "1000,100000,1000000")
  .split(",")
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n > 0)
  .sort((a, b) => a - b);
/** Which stores to measure (`BENCH_SCALE_STORES=memory,redis`): all three by default. */
const STORES = new Set(
  (process.env.BENCH_SCALE_STORES ?? "memory,redis,postgres").split(",").map((s) => s.trim()),
);
const SAMPLES = 5_000;
const VERIFY_USERS = 100;
const CONCURRENCY = 8;
const gc = (globalThis as { gc?: () => void }).gc;

const key = randomBytes(32).toString("base64url");
const encryptionKeys = { current: "k", keys: { k: key } };
/** The account name authenticator apps show: required to enroll an app-based factor. */
const accountName = (userId: string) => `${userId}@scale.test`;

/** One real enrollment on a memory store: the shapes of its factor record and backup-code set. */
async function template() {
  const store = memoryStore();
  const mfa = createMfaServer({ issuer: "Scale", store, encryptionKeys, accountName });
  const { factorId, secret } = await mfa.enrollTotp("template");
  const code = generateSync({ secret });
  const activated = await mfa.activateFactor("template", factorId, code);
  if (!activated.ok) throw new Error(`activation failed: ${activated.reason}`);
  const dump = store.dump();
  return { record: dump.factors.template![factorId]!, backup: dump.backupCodes.template! };
}
type Template = Awaited<ReturnType<typeof template>>;

/** A copy of the template with fresh random bytes of the same lengths. */
function userShape(t: Template) {
  const record: Record<string, string> = {};
  for (const [k, v] of Object.entries(t.record)) {
    record[k] =
      k === "secret" || k === "sealed" || v.length > 40
        ? randomBytes(v.length).toString("base64url").slice(0, v.length)
        : v;
  }
  const hashes = t.backup.hashes.map(() => randomBytes(32).toString("hex"));
  return { record, set: { salt: randomBytes(16).toString("base64url"), hashes } };
}

/**
 * The session token of user `i` as the kit makes it for `store` (43 characters, after the store's
 * tag of the user and a dot when it has tags) and the hash the store keys it by.
 */
const token = (store: MfaStore, i: number) => {
  const random = createHash("sha256").update(`token-${i}`).digest("base64url");
  const tag = store.sessionTokenTag?.(`user-${i}`);
  return tag === undefined ? random : `${tag}.${random}`;
};
const tokenHash = (store: MfaStore, i: number) => {
  const t = token(store, i);
  const hash = createHash("sha256").update(t).digest("base64url");
  const dot = t.indexOf(".");
  return dot < 0 ? hash : `${t.slice(0, dot)}.${hash}`;
};
const session = (userId: string, now: number): StoredSession => ({
  userId,
  acr: "mfa",
  amr: ["otp", "mfa"],
  authTime: now,
  expiresAt: now + 3_600_000,
  factorId: "f1",
});

/** Runs `count` calls of `f` with `concurrency` in flight. */
async function inFlight(count: number, concurrency: number, f: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await f(next++);
    }),
  );
}

/** Fills `store` from `from` to `to` users (and sessions) through its own methods. */
async function fill(store: MfaStore, t: Template, from: number, to: number, now: number) {
  await inFlight(to - from, 64, async (i) => {
    const n = from + i;
    const { record, set } = userShape(t);
    await store.createFactor(`user-${n}`, "f1", record);
    await store.setBackupCodes(`user-${n}`, set);
    await store.createSession(tokenHash(store, n), session(`user-${n}`, now), now);
  });
}

/** A store to measure the session check on, with `size` users and live sessions in it. */
interface Measured {
  store: MfaStore;
  size: number;
}
type Check = { p50: number; p99: number };

/**
 * Session check p50/p99 (µs): `mfa.checkSession` (hash the token, one store lookup) of random live
 * sessions, one at a time, on each of `stores` in turn, batch by batch, so that a load on the
 * machine that comes and goes weighs on every store alike.
 */
async function sessionChecks(stores: Measured[], now: number): Promise<Check[]> {
  // Without the process's token-hash cache: every check hashes its token and asks the store, at
  // every size alike (with it, the small sizes would fit the cache and skip the hash).
  const kits = stores.map(({ store, size }) => ({
    mfa: createMfaServer({
      issuer: "Scale",
      store,
      encryptionKeys,
      now: () => now,
      sessions: { tokenHashCache: 0 },
    }),
    store,
    size,
    times: [] as number[],
  }));
  // A warm-up (JIT, connections), then the samples.
  for (const k of kits) {
    for (let i = 0; i < SAMPLES / 5; i++) await k.mfa.checkSession(token(k.store, i % k.size));
  }
  const BATCH = 100;
  for (let done = 0; done < SAMPLES; done += BATCH) {
    for (const k of kits) {
      const tokens = Array.from({ length: BATCH }, () =>
        token(k.store, Math.floor(Math.random() * k.size)),
      );
      for (const t of tokens) {
        const t0 = performance.now();
        const found = await k.mfa.checkSession(t);
        k.times.push((performance.now() - t0) * 1000);
        if (!found.ok) throw new Error(`session not found: ${found.reason}`);
      }
    }
  }
  return kits.map(({ times }) => {
    times.sort((a, b) => a - b);
    return {
      p50: times[Math.floor(times.length * 0.5)]!,
      p99: times[Math.floor(times.length * 0.99)]!,
    };
  });
}

/**
 * The session check at `size`, with the same check on `baseline` (the smallest size, kept apart)
 * measured in the same batches: the ratio of their p50s is how the check grows.
 */
async function checkAgainst(baseline: Measured, current: Measured, now: number) {
  if (current.store === baseline.store) {
    const [check] = await sessionChecks([current], now);
    return { check: check!, ratio: 1 };
  }
  const [base, check] = await sessionChecks([baseline, current], now);
  return { check: check!, ratio: check!.p50 / base!.p50 };
}

/** Verifications per second: backup codes of users enrolled through the kit on this store. */
async function verifyThroughput(store: MfaStore, round: number) {
  const mfa = createMfaServer({ issuer: "Scale", store, encryptionKeys, accountName });
  const users: { userId: string; codes: string[] }[] = [];
  for (let i = 0; i < VERIFY_USERS; i++) {
    const userId = `verify-${round}-${i}`;
    const { factorId, secret } = await mfa.enrollTotp(userId);
    const activated = await mfa.activateFactor(userId, factorId, generateSync({ secret }));
    if (!activated.ok || !activated.backupCodes) throw new Error("activation failed");
    users.push({ userId, codes: activated.backupCodes });
  }
  const jobs = users.flatMap((u) =>
    u.codes.map((backupCode) => ({ userId: u.userId, backupCode })),
  );
  // Each user's codes are spread out, so no user has two verifications in flight at once.
  jobs.sort((a, b) => a.backupCode.localeCompare(b.backupCode));
  const t0 = performance.now();
  await inFlight(jobs.length, CONCURRENCY, async (i) => {
    const result = await mfa.verify(jobs[i]!);
    if (!result.ok) throw new Error(`verification failed: ${result.reason}`);
  });
  return jobs.length / ((performance.now() - t0) / 1000);
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US").padStart(9);
const line = (
  store: string,
  size: number,
  perUser: number,
  perSession: number,
  check: Check,
  ratio: number,
  vps: number,
) =>
  [
    store.padEnd(8),
    `${size.toLocaleString("en-US").padStart(9)} users`,
    `${fmt(perUser)} B/user`,
    `${fmt(perSession)} B/session`,
    `session check p50 ${check.p50.toFixed(1).padStart(6)} µs (${ratio.toFixed(2)} ×) p99 ${check.p99.toFixed(1).padStart(7)} µs`,
    `verify ${fmt(vps)} /s`,
  ].join("  ");

/** Each store's last ratio: the session check at the largest size over the smallest. */
const flat: Record<string, number> = {};

async function memoryRows(t: Template, now: number) {
  // The V8 heap and the array buffers outside it (the memory store's session table).
  const heap = () => {
    gc?.();
    gc?.();
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    return heapUsed + arrayBuffers;
  };
  let baseline: Measured | undefined;
  for (const size of SIZES) {
    const store = memoryStore();
    const before = heap();
    await inFlight(size, 1, async (n) => {
      const { record, set } = userShape(t);
      await store.createFactor(`user-${n}`, "f1", record);
      await store.setBackupCodes(`user-${n}`, set);
    });
    const users = heap();
    for (let n = 0; n < size; n++)
      await store.createSession(tokenHash(store, n), session(`user-${n}`, now), now);
    const sessions = heap();
    baseline ??= { store, size };
    const { check, ratio } = await checkAgainst(baseline, { store, size }, now);
    const vps = await verifyThroughput(store, size);
    flat.memory = ratio;
    console.log(
      line("memory", size, (users - before) / size, (sessions - users) / size, check, ratio, vps),
    );
    // The smallest store stays, as the baseline of the larger ones.
    if (store !== baseline.store) store.clear();
  }
}

async function redisRows(t: Template, now: number) {
  const server = await startRedisServer();
  const client = new Redis(server.url);
  // The baseline: the smallest size in another database of the same server (a keyspace of its
  // own, the same process), measured beside each larger size.
  const baseClient = new Redis(server.url, { db: 1 });
  try {
    const store = redisStore(client, { prefix: "scale:" });
    const baseline = { store: redisStore(baseClient, { prefix: "scale:" }), size: SIZES[0]! };
    await fill(baseline.store, t, 0, baseline.size, now);
    let filled = 0;
    for (const size of SIZES) {
      await fill(store, t, filled, size, now);
      filled = size;
      // MEMORY USAGE of one user's keys and of one session (with its tag's session index).
      let perUser = 0;
      let perSession = 0;
      const sample = Math.min(200, size);
      for (let i = 0; i < sample; i++) {
        const n = Math.floor(Math.random() * size);
        const tag = `scale:{${store.sessionTokenTag(`user-${n}`)}}`;
        for (const k of ["factors", "backup", "rev"]) {
          const name = `${tag}:u:user-${n}:${k}`;
          perUser += Number(await client.memory("USAGE", name, "SAMPLES", "0"));
        }
        const hash = tokenHash(store, n);
        const name = `${tag}:s:${hash.slice(hash.indexOf(".") + 1)}`;
        perSession += Number(await client.memory("USAGE", name, "SAMPLES", "0"));
        perSession += Number(await client.memory("USAGE", `${tag}:sessions`, "SAMPLES", "0"));
      }
      const { check, ratio } = await checkAgainst(baseline, { store, size }, now);
      const vps = await verifyThroughput(store, size);
      flat.redis = ratio;
      console.log(line("redis", size, perUser / sample, perSession / sample, check, ratio, vps));
    }
  } finally {
    client.disconnect();
    baseClient.disconnect();
    await server.stop();
  }
}

/**
 * Bulk rows in the PostgreSQL store's own layout in `schema`, users `from` to `to` (the store's
 * methods would take an hour at 1 000 000); the shapes are the template's.
 */
async function bulkFill(
  pool: pg.Pool,
  schema: string,
  t: Template,
  from: number,
  to: number,
  now: number,
) {
  const { record, set } = userShape(t);
  const b64url = (bytes: string) => `rtrim(translate(encode(${bytes}, 'base64'), '+/', '-_'), '=')`;
  const tok = (i: string) =>
    b64url(`sha256(convert_to(${b64url(`sha256(convert_to('token-' || ${i}, 'UTF8'))`)}, 'UTF8'))`);
  await pool.query(
    `INSERT INTO ${schema}.users (user_id, rev) SELECT 'user-' || i, nextval('${schema}.revisions')::text FROM generate_series($1::int, $2::int - 1) AS i`,
    [from, to],
  );
  await pool.query(
    `INSERT INTO ${schema}.factors (user_id, factor_id, fields) SELECT 'user-' || i, 'f1', $3::jsonb FROM generate_series($1::int, $2::int - 1) AS i`,
    [from, to, JSON.stringify(record)],
  );
  await pool.query(
    `INSERT INTO ${schema}.backup_code_sets (user_id, salt) SELECT 'user-' || i, $3 FROM generate_series($1::int, $2::int - 1) AS i`,
    [from, to, set.salt],
  );
  await pool.query(
    `INSERT INTO ${schema}.backup_codes (user_id, hash) SELECT 'user-' || i, encode(sha256(convert_to(i || '-' || c, 'UTF8')), 'hex') FROM generate_series($1::int, $2::int - 1) AS i, generate_series(1, $3::int) AS c`,
    [from, to, set.hashes.length],
  );
  // Token hashes as the bench computes them (base64url of SHA-256).
  await pool.query(
    `INSERT INTO ${schema}.sessions (token_hash, user_id, acr, amr, auth_time, expires_at, factor_id)
       SELECT ${tok("i")}, 'user-' || i, 'mfa', '{otp,mfa}', $3, $4, 'f1'
       FROM generate_series($1::int, $2::int - 1) AS i`,
    [from, to, now, now + 3_600_000],
  );
  await pool.query(
    `VACUUM ANALYZE ${schema}.users, ${schema}.factors, ${schema}.backup_code_sets, ${schema}.backup_codes, ${schema}.sessions`,
  );
}

async function postgresRows(t: Template, now: number) {
  const server = await startPostgresServer();
  const pool = new pg.Pool({ connectionString: server.url, max: 16 });
  try {
    await migrate(pool, { schema: "scale" });
    const store = postgresStore(pool, { schema: "scale", timeoutMs: 30_000 });
    // The baseline: the smallest size in a schema of its own, measured beside each larger size.
    await migrate(pool, { schema: "scale_base" });
    await bulkFill(pool, "scale_base", t, 0, SIZES[0]!, now);
    const baseline = {
      store: postgresStore(pool, { schema: "scale_base", timeoutMs: 30_000 }),
      size: SIZES[0]!,
    };
    const size = async (tables: string[]) => {
      const { rows } = await pool.query<{ bytes: string }>(
        `SELECT sum(pg_total_relation_size(('scale.' || t)::regclass))::bigint AS bytes FROM unnest($1::text[]) AS t`,
        [tables],
      );
      return Number(rows[0]!.bytes);
    };
    const userTables = ["users", "factors", "backup_code_sets", "backup_codes"];
    let filled = 0;
    for (const n of SIZES) {
      await bulkFill(pool, "scale", t, filled, n, now);
      filled = n;
      const perUser = (await size(userTables)) / n;
      const perSession = (await size(["sessions"])) / n;
      const { check, ratio } = await checkAgainst(baseline, { store, size: n }, now);
      const vps = await verifyThroughput(store, n);
      flat.postgres = ratio;
      console.log(line("postgres", n, perUser, perSession, check, ratio, vps));
    }
  } finally {
    await pool.end();
    await server.destroy();
  }
}

async function main() {
  const skip =
    (STORES.has("redis") ? redisUnavailableReason() : undefined) ??
    (STORES.has("postgres") ? postgresUnavailableReason() : undefined);
  if (skip) throw new Error(`bench:scale measures Redis and PostgreSQL: ${skip}`);
  if (!gc) console.log("(run with --expose-gc for the memory store's bytes per user)");
  console.log(
    `mfa-kit scale bench: ${SIZES.map((s) => s.toLocaleString("en-US")).join(" / ")} enrolled users ` +
      `(TOTP + ${10} backup codes) with as many live sessions; session check = mfa.checkSession (hash + one lookup) of ` +
      `random live sessions (${SAMPLES} samples, one at a time); verify = backup codes, ${CONCURRENCY} in flight`,
  );
  const t = await template();
  const now = Date.now();
  if (STORES.has("memory")) await memoryRows(t, now);
  if (STORES.has("redis")) await redisRows(t, now);
  if (STORES.has("postgres")) await postgresRows(t, now);
  if (SIZES.length < 2) return;
  for (const [store, ratio] of Object.entries(flat)) {
    console.log(
      `${store}: session check p50 at ${SIZES.at(-1)!.toLocaleString("en-US")} / at ${SIZES[0]!.toLocaleString("en-US")}: ` +
        `${ratio.toFixed(2)} × in the same batches (goal ≤ 1.5: ${ratio <= 1.5 ? "met" : "MISSED"})`,
    );
  }
}

await main();
