import {
  type PostgresServer,
  postgresUnavailableReason,
  startPostgresServer,
} from "@mfa-kit/test-utils";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { hotpCode, testKit, totpCode } from "../testing/fixtures";
import { softAuthenticator } from "../testing/softAuthenticator";
import { migrate, migrations } from "./migrate";
import { type PostgresStore, postgresStore } from "./postgres";
import { describeStoreContract } from "./storeContract.testkit";
import { StoreUnavailableError } from "./storeUnavailable";
import type { CredentialCheck, LimitPolicy, StoredSession } from "./types";

const skipReason = postgresUnavailableReason();
if (skipReason) console.warn(`Skipping the PostgreSQL store tests: ${skipReason}`);

const T = 1_700_000_000_000;
const policy: LimitPolicy = {
  maxFailures: 3,
  windowMs: 300_000,
  lockoutsMs: [30_000, 60_000],
  levelTtlMs: 86_400_000,
};
const wrong: CredentialCheck = { acr: "mfa", amr: [], kind: "none", failure: "invalid_code" };
const match: CredentialCheck = { acr: "mfa", amr: ["otp", "mfa"], kind: "match" };
const session = (expiresAt: number, userId = "u"): StoredSession => ({
  userId,
  acr: "mfa",
  amr: ["otp", "mfa"],
  authTime: T,
  expiresAt,
});
const attempt = async (store: PostgresStore, checks: CredentialCheck[], now = T, userId = "u") =>
  store.verifyAttempt(userId, { rev: (await store.loadFactors(userId)).rev, checks, policy }, now);

let server: PostgresServer;
let pool: pg.Pool;
let run = 0;

/** A freshly migrated schema of its own, so each test sees only its rows. */
async function freshStore(options: { timeoutMs?: number } = {}) {
  const schema = `t${process.pid}_${run++}`;
  await migrate(pool, { schema });
  return postgresStore(pool, { schema, ...options });
}

/** Every row of every table of a schema, as text. */
async function dumpSchema(schema: string): Promise<string[]> {
  const { rows: tables } = await pool.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1",
    [schema],
  );
  const out: string[] = [];
  for (const { table_name } of tables) {
    const { rows } = await pool.query(`SELECT * FROM "${schema}"."${table_name}"`);
    for (const row of rows) out.push(`${table_name}: ${JSON.stringify(row)}`);
  }
  return out;
}

/** RFC 4648 base32 to bytes. */
function base32Bytes(text: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const out: number[] = [];
  let bits = 0;
  let acc = 0;
  for (const c of text.replace(/=+$/, "").toUpperCase()) {
    acc = (acc << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

describe.skipIf(skipReason !== undefined)("postgresStore on a real PostgreSQL", () => {
  beforeAll(async () => {
    server = await startPostgresServer();
    pool = new pg.Pool({ connectionString: server.url, max: 20 });
    await migrate(pool, { schema: "contract" });
  }, 60_000);

  afterAll(async () => {
    await pool?.end();
    await server?.destroy();
  }, 30_000);

  describeStoreContract("postgresStore", () => postgresStore(pool, { schema: "contract" }));

  describe("migrate", () => {
    it("applies the shipped migrations once, in order, and records them", async () => {
      const schema = `m${process.pid}_${run++}`;
      expect(await migrate(pool, { schema })).toEqual(migrations.map((m) => m.name));
      expect(await migrate(pool, { schema })).toEqual([]);
      const { rows } = await pool.query(`SELECT name FROM "${schema}".schema_migrations`);
      expect(rows.map((r) => r.name)).toEqual(migrations.map((m) => m.name));
      expect([...migrations.map((m) => m.name)].sort()).toEqual(migrations.map((m) => m.name));
    });

    it("upgrades a schema the previous version migrated, keeping its data", async () => {
      const schema = `m${process.pid}_${run++}`;
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        await client.query(`CREATE SCHEMA "${schema}"`);
        await client.query(
          `CREATE TABLE "${schema}".schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
        );
        await client.query(`SET LOCAL search_path TO "${schema}", pg_temp`);
        await client.query(migrations[0]!.sql);
        await client.query(`INSERT INTO "${schema}".schema_migrations (name) VALUES ($1)`, [
          migrations[0]!.name,
        ]);
        await client.query(
          "INSERT INTO factors (user_id, factor_id, fields) VALUES ('u', 'f', '{\"type\":\"totp\"}')",
        );
        await client.query("COMMIT");
      } finally {
        client.release();
      }
      expect(await migrate(pool, { schema })).toEqual(migrations.slice(1).map((m) => m.name));
      const store = postgresStore(pool, { schema });
      expect((await store.loadFactors("u")).factors).toEqual({ f: { type: "totp" } });
    });

    it("lets several instances migrate one schema at the same time", async () => {
      const schema = `m${process.pid}_${run++}`;
      const other = new pg.Pool({ connectionString: server.url, max: 2 });
      try {
        const results = await Promise.all([
          migrate(pool, { schema }),
          migrate(other, { schema }),
          migrate(other, { schema }),
        ]);
        expect(results.flat()).toEqual(migrations.map((m) => m.name));
      } finally {
        await other.end();
      }
    });

    it("refuses a schema that a newer version migrated", async () => {
      const schema = `m${process.pid}_${run++}`;
      await migrate(pool, { schema });
      await pool.query(`INSERT INTO "${schema}".schema_migrations (name) VALUES ('9999_future')`);
      await expect(migrate(pool, { schema })).rejects.toThrow(/9999_future/);
    });

    it("ships plain SQL that runs with only search_path set, as another migration tool would", async () => {
      const schema = `m${process.pid}_${run++}`;
      const client = await pool.connect();
      try {
        await client.query(`CREATE SCHEMA "${schema}"`);
        await client.query("BEGIN");
        await client.query(`SET LOCAL search_path TO "${schema}", pg_temp`);
        for (const m of migrations) await client.query(m.sql);
        await client.query("COMMIT");
      } finally {
        client.release();
      }
      const store = postgresStore(pool, { schema });
      await store.createFactor("u", "f", { type: "totp" });
      expect((await attempt(store, [{ ...match, factorId: "f" }])).ok).toBe(true);
    });

    it("keeps working from connections whose search_path points elsewhere", async () => {
      const store = await freshStore();
      const client = await pool.connect();
      try {
        await client.query("SET search_path TO public");
        await store.createFactor("u", "f", { type: "totp" });
        const { rows } = await client.query(
          `SELECT "${store.schema}".take_challenge('u', 'k', 0) AS v`,
        );
        expect(rows[0].v).toBeNull();
      } finally {
        await client.query("RESET search_path");
        client.release();
      }
    });

    it("rejects a schema name that is not a plain identifier", async () => {
      await expect(migrate(pool, { schema: 'x"; DROP TABLE users; --' })).rejects.toThrow(
        TypeError,
      );
      expect(() => postgresStore(pool, { schema: "a b" })).toThrow(TypeError);
      expect(() => postgresStore(pool, { timeoutMs: 0 })).toThrow(RangeError);
      expect(() => postgresStore(pool, { purgeEveryMs: -1 })).toThrow(RangeError);
    });
  });

  describe("any string", () => {
    // PostgreSQL's text and jsonb refuse U+0000: ids, labels and values that carry it (from outside,
    // e.g. a factor id in a URL) must round-trip, not fail as a bug.
    it("keeps ids, fields and session claims holding U+0000 and U+FFFE apart and intact", async () => {
      const store = await freshStore();
      const odd = "a\u0000b\uFFFE\u0001c";
      expect(await store.createFactor(odd, odd, { label: odd, [odd]: "x" })).toBe(true);
      expect(await store.createFactor(odd, "a\uFFFE\u0001b\uFFFE\u0001c", { label: "y" })).toBe(
        true,
      );
      expect(await store.createFactor("a\u0000b", "f", { type: "totp" })).toBe(true);
      expect((await store.loadFactors(odd)).factors).toEqual({
        [odd]: { label: odd, [odd]: "x" },
        "a\uFFFE\u0001b\uFFFE\u0001c": { label: "y" },
      });
      expect(await store.patchFactor(odd, odd, { label: "\u0000" })).toBe(true);
      expect((await store.loadFactors(odd)).factors[odd]?.label).toBe("\u0000");
      await store.createSession("t\u0000", { ...session(T + 1000, odd), factorId: odd }, T);
      expect(await store.getSession("t\u0000", T)).toEqual({
        ...session(T + 1000, odd),
        factorId: odd,
      });
      expect(await store.getSession("t", T)).toBeNull();
      expect((await attempt(store, [{ ...match, factorId: odd }], T, odd)).ok).toBe(true);
      expect(await store.swap(odd, odd, odd, 1000, T)).toBeNull();
      expect(await store.peek(odd, odd, T)).toBe(odd);
      expect(await store.revokeUserSessions(odd, T)).toBe(1);
    });
  });

  describe("with the kit", () => {
    it("keeps no plaintext secret, code, contact or token in a dump of every table", async () => {
      const store = await freshStore();
      const kit = testKit({ store });
      const { mfa } = kit;
      const found: string[] = [];
      const codes: string[] = [];
      const now = () => kit.clock.now;

      const totp = await mfa.enrollTotp("alice");
      const activation = totpCode(totp.secret, now());
      const activated = await mfa.activateFactor("alice", totp.factorId, activation);
      if (!activated.ok) throw new Error(activated.reason);
      const backupCodes = activated.backupCodes ?? [];
      const hotp = await mfa.enrollHotp("alice");
      expect((await mfa.activateFactor("alice", hotp.factorId, hotpCode(hotp.secret, 0))).ok).toBe(
        true,
      );
      const contacts = { sms: "+15551234567", email: "alice.secret@example.com" } as const;
      for (const channel of ["sms", "email"] as const) {
        const enrolled = await mfa.enrollContact("alice", { channel, to: contacts[channel] });
        if (!enrolled.ok) throw new Error(enrolled.reason);
        const sent = kit.sent.at(-1)!.code;
        expect((await mfa.activateFactor("alice", enrolled.factorId, sent)).ok).toBe(true);
        kit.tick(31_000);
        const challenge = await mfa.startChallenge("alice", enrolled.factorId);
        if (!challenge.ok) throw new Error(challenge.reason);
        const code = kit.sent.at(-1)!.code;
        const verified = await mfa.verify({
          userId: "alice",
          factorId: enrolled.factorId,
          challengeId: challenge.challengeId!,
          code,
        });
        if (!verified.ok) throw new Error(verified.reason);
        found.push(verified.session.token);
        codes.push(sent, code);
      }
      const key = await softAuthenticator("example.com", "https://example.com");
      const options = (await mfa.webauthnRegistrationOptions("alice")) as { challenge: string };
      expect((await mfa.verifyWebauthnRegistration("alice", await key.register(options))).ok).toBe(
        true,
      );
      const next = totpCode(totp.secret, now() + 30_000);
      const byTotp = await mfa.verify({ userId: "alice", factorId: totp.factorId, code: next });
      const byBackup = await mfa.verify({ userId: "alice", backupCode: backupCodes[0]! });
      if (!byTotp.ok || !byBackup.ok) throw new Error("verification failed");
      found.push(byTotp.session.token, byBackup.session.token);
      codes.push(activation, next);

      const dump = await dumpSchema(store.schema);
      const text = dump.join("\n");
      expect(dump.length).toBeGreaterThan(15);
      // The dump is real: the backup-code rows and sessions are in it.
      expect(text).toMatch(/^backup_codes: /m);
      expect(text).toMatch(/^sessions: /m);
      const secrets = [
        ...[totp.secret, hotp.secret].flatMap((b32) => {
          const raw = base32Bytes(b32);
          return [b32, raw.toString("hex"), raw.toString("base64"), raw.toString("base64url")];
        }),
        ...backupCodes.flatMap((c) => [c, c.replace(/[^0-9a-z]/gi, "")]),
        ...found,
        ...Object.values(contacts),
      ];
      for (const secret of secrets) {
        expect(text.toLowerCase().includes(secret.toLowerCase()), `${secret} is stored`).toBe(
          false,
        );
      }
      for (const code of codes) {
        expect(new RegExp(`(^|[^0-9])${code}([^0-9]|$)`).test(text), `${code} is stored`).toBe(
          false,
        );
      }
    });
  });

  describe("round trips", () => {
    /** The first word of every statement a call sends, on whatever connection of the pool. */
    async function statementsOf(call: () => Promise<unknown>): Promise<string[]> {
      const spy = vi.spyOn(pg.Client.prototype, "query");
      try {
        await call();
        return spy.mock.calls.map((c) => {
          const text = typeof c[0] === "string" ? c[0] : (c[0] as { text: string }).text;
          return text.trim().split(/\s+/)[0]!;
        });
      } finally {
        spy.mockRestore();
      }
    }

    it("checks a session with one SELECT and verifies in four statements (BEGIN, load under lock, write, COMMIT)", async () => {
      const store = await freshStore();
      await store.createFactor("u", "f", { type: "totp", lastStep: "1" });
      await store.createSession("t", session(T + 60_000), T);
      expect(await statementsOf(() => store.getSession("t", T))).toEqual(["SELECT"]);
      const { rev } = await store.loadFactors("u");
      const counter = (value: number): CredentialCheck => ({
        ...match,
        factorId: "f",
        kind: "counter",
        field: "lastStep",
        value,
      });
      const verify = await statementsOf(() =>
        store.verifyAttempt(
          "u",
          {
            rev,
            checks: [counter(2)],
            policy,
            success: { session: { tokenHash: "t2", expiresAt: T + 60_000 } },
          },
          T,
        ),
      );
      expect(verify).toEqual(["BEGIN", "SELECT", "SELECT", "COMMIT"]);
      // A stale attempt writes nothing: three.
      const stale = await statementsOf(() =>
        store.verifyAttempt("u", { rev: "old", checks: [counter(3)], policy }, T),
      );
      expect(stale).toEqual(["BEGIN", "SELECT", "COMMIT"]);
      for (const [name, call] of Object.entries({
        loadFactors: () => store.loadFactors("u"),
        createFactor: () => store.createFactor("u", "g", { type: "totp" }),
        patchFactor: () => store.patchFactor("u", "g", { status: "active" }),
        setBackupCodes: () => store.setBackupCodes("u", { salt: "s", hashes: ["a"] }),
        putChallenge: () => store.putChallenge("u", "k", "v", 1000, T),
        takeChallenge: () => store.takeChallenge("u", "k", T),
        claim: () => store.claim("u", "m", 1000, T),
        swap: () => store.swap("u", "m2", "v", 1000, T),
        touchSession: () => store.touchSession("t", T + 90_000, T),
        revokeUserSessions: () => store.revokeUserSessions("u", T),
      })) {
        expect({ name, trips: (await statementsOf(call)).length }).toEqual({ name, trips: 1 });
      }
    });

    it("answers the session checks of one event-loop turn with one SELECT, each with its own session", async () => {
      const store = await freshStore();
      await store.createSession("t1", session(T + 1000, "a"), T);
      await store.createSession("t2", session(T + 9, "b"), T);
      let found: (StoredSession | null)[] = [];
      const sent = await statementsOf(async () => {
        found = await Promise.all([
          store.getSession("t1", T),
          store.getSession("t2", T + 10),
          store.getSession("unknown", T),
          store.getSession("t2", T),
        ]);
      });
      expect(sent).toEqual(["SELECT"]);
      expect(found).toEqual([session(T + 1000, "a"), null, null, session(T + 9, "b")]);
      await store.revokeSession("t1", T);
      expect(await store.getSession("t1", T)).toBeNull();
    });
  });

  describe("purgeExpired", () => {
    it("deletes dead rows in batches and keeps live ones and the configuration", async () => {
      const store = await freshStore();
      await store.createFactor("u", "f", { type: "totp" });
      await store.setBackupCodes("u", { salt: "s", hashes: ["h1", "h2"] });
      for (let i = 0; i < 25; i++) await store.createSession(`dead${i}`, session(T + 10), T);
      await store.createSession("live", session(T + 600_000), T);
      await store.putChallenge("u", "dead", "v", 10, T);
      await store.putChallenge("u", "live", "v", 600_000, T);
      await store.claim("u", "dead", 10, T);
      await store.claim("u", "live", 600_000, T);
      await store.putCode("u", "f", { challengeId: "c", hash: "h", expiresAt: T + 5 }, 10, T);
      await attempt(store, [wrong], T);

      const spy = vi.spyOn(pg.Client.prototype, "query");
      const purged = await store.purgeExpired({ now: T + 300_011, batchSize: 10 });
      const sent = spy.mock.calls.map((c) => String(c[0]));
      spy.mockRestore();
      // 25 sessions, 1 challenge, 1 marker, 1 code, 1 limiter state.
      expect(purged).toBe(29);
      // Batches of 10: three statements for the 25 sessions.
      expect(sent.filter((q) => q.includes("sessions WHERE token_hash IN"))).toHaveLength(3);
      expect(sent.every((q) => /LIMIT \$2 FOR UPDATE SKIP LOCKED/.test(q))).toBe(true);

      const rows = await dumpSchema(store.schema);
      const count = (table: string) => rows.filter((r) => r.startsWith(`${table}: `)).length;
      expect(count("sessions")).toBe(1);
      expect(count("challenges")).toBe(1);
      expect(count("markers")).toBe(1);
      expect(count("one_time_codes")).toBe(0);
      expect(count("factors")).toBe(1);
      expect(count("backup_codes")).toBe(2);
      expect(rows.find((r) => r.startsWith("users: "))).toMatch(/"limiter_until":"0"/);
      expect(await store.getSession("live", T + 300_011)).not.toBeNull();
      expect(await store.purgeExpired({ now: T + 300_011 })).toBe(0);
    });

    it("purges on a timer when asked, and stops with close()", async () => {
      const schema = `t${process.pid}_${run++}`;
      await migrate(pool, { schema });
      vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
      try {
        const store = postgresStore(pool, { schema, purgeEveryMs: 60_000 });
        const purge = vi.spyOn(store, "purgeExpired");
        await store.createSession("old", session(1), 0);
        expect(purge).not.toHaveBeenCalled();
        // The timer calls the store's own method (not the spy): watch the row instead.
        await vi.advanceTimersByTimeAsync(60_000);
        await vi.waitFor(async () => {
          const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${schema}".sessions`);
          expect(rows[0].n).toBe(0);
        });
        store.close();
        await store.createSession("old2", session(1), 0);
        await vi.advanceTimersByTimeAsync(120_000);
        const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${schema}".sessions`);
        expect(rows[0].n).toBe(1);
      } finally {
        vi.useRealTimers();
      }
    });

    it("rejects a batch size that cannot work", async () => {
      const store = await freshStore();
      await expect(store.purgeExpired({ batchSize: 0 })).rejects.toThrow(RangeError);
    });
  });

  describe("failing closed", () => {
    let own: PostgresServer;
    let ownPool: pg.Pool;

    beforeAll(async () => {
      own = await startPostgresServer();
      ownPool = new pg.Pool({ connectionString: own.url, connectionTimeoutMillis: 1000 });
      await migrate(ownPool);
    }, 60_000);

    afterAll(async () => {
      await ownPool?.end();
      await own?.destroy();
    }, 30_000);

    it("refuses with StoreUnavailableError while PostgreSQL is down and recovers when it is back", async () => {
      const store = postgresStore(ownPool);
      await store.createFactor("u", "f", { type: "totp" });
      await store.createSession("t", session(T + 60_000), T);
      await own.kill();

      const refused = await store.getSession("t", T).catch((error: unknown) => error);
      expect(StoreUnavailableError.is(refused)).toBe(true);
      expect(refused).toMatchObject({ code: "store_unavailable", retryAfterSeconds: 1 });
      await expect(store.loadFactors("u")).rejects.toThrow(/PostgreSQL is unavailable/);
      await expect(
        store.verifyAttempt("u", { rev: "0", checks: [match], policy }, T),
      ).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.createFactor("u", "g", { type: "totp" })).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );

      // The same store works again by itself, and nothing committed before the kill is lost.
      await own.start();
      await vi.waitFor(
        async () => expect(await store.getSession("t", T)).toEqual(session(T + 60_000)),
        {
          timeout: 10_000,
        },
      );
      expect(Object.keys((await store.loadFactors("u")).factors)).toEqual(["f"]);
      expect((await attempt(store, [{ ...match, factorId: "f" }])).ok).toBe(true);
    });

    it("gives up after timeoutMs while a verification waits for a lock another transaction holds", async () => {
      const store = postgresStore(ownPool, { timeoutMs: 200 });
      await store.createFactor("slow", "f", { type: "totp" });
      const blocker = await ownPool.connect();
      try {
        await blocker.query("BEGIN");
        await blocker.query("SELECT * FROM mfa.users WHERE user_id = 'slow' FOR UPDATE");
        const started = Date.now();
        await expect(attempt(store, [{ ...match, factorId: "f" }], T, "slow")).rejects.toThrow(
          /no answer within 200 ms/,
        );
        expect(Date.now() - started).toBeLessThan(2_000);
      } finally {
        await blocker.query("ROLLBACK");
        blocker.release();
      }
      // The abandoned transaction was rolled back with its connection: the next one goes through.
      expect((await attempt(store, [{ ...match, factorId: "f" }], T, "slow")).ok).toBe(true);
    });

    it("passes errors that are bugs through instead of hiding them as outages", async () => {
      const store = postgresStore(ownPool, { schema: "not_migrated" });
      const error = await store.loadFactors("u").catch((e: unknown) => e);
      expect(StoreUnavailableError.is(error)).toBe(false);
      expect(String(error)).toMatch(/does not exist/);
    });
  });
});
