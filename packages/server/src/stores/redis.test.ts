import { createServer, type Server } from "node:net";
import { type RedisServer, redisUnavailableReason, startRedisServer } from "@mfa-kit/test-utils";
import { Redis, type RedisOptions } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { hotpCode, testKit, totpCode } from "../testing/fixtures";
import { softAuthenticator } from "../testing/softAuthenticator";
import { type RedisStore, redisStore, StoreUnavailableError } from "./redis";
import { migrateRedisStore } from "./redisMigrate";
import { describeStoreContract } from "./storeContract.testkit";
import type { CredentialCheck, LimitPolicy, StoredSession } from "./types";

const skipReason = redisUnavailableReason();
if (skipReason) console.warn(`Skipping the Redis store tests: ${skipReason}`);

const T = 1_700_000_000_000;
const policy: LimitPolicy = {
  maxFailures: 3,
  windowMs: 300_000,
  lockoutsMs: [30_000, 60_000],
  levelTtlMs: 86_400_000,
  maxConsecutiveFailures: 100,
  consecutiveTtlMs: 365 * 86_400_000,
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
/** One verification attempt against the user's current revision. */
const attempt = async (store: RedisStore, checks: CredentialCheck[], now = T, userId = "u") =>
  store.verifyAttempt(userId, { rev: (await store.loadFactors(userId)).rev, checks, policy }, now);

let server: RedisServer;
let client: Redis;
let admin: Redis;
let run = 0;
/** A prefix of its own per store, so each test sees only its keys in a dump. */
const freshPrefix = () => `test${process.pid}-${run++}:`;

const connect = (port: number, extra: RedisOptions = {}) =>
  new Redis({ host: "127.0.0.1", port, lazyConnect: true, ...extra });

/** The hash tag of a user's keys and session tokens. */
const tagOf = (userId = "u") => redisStore(client).sessionTokenTag(userId);
/** The token hash of session `name` of `userId`, tagged as the kit tags it. */
const tok = (name: string, userId = "u") => `${tagOf(userId)}.${name}`;
/** The key names (after the prefix) of user `u`'s state and of the sessions under its tag. */
const U = () => `{${tagOf()}}:u:u:`;
const S = () => `{${tagOf()}}:`;

/** Every key under `prefix` with its type and PTTL. */
async function keysOf(prefix: string) {
  const keys = (await admin.keys(`${prefix}*`)).sort();
  return Promise.all(
    keys.map(async (key) => ({ key, type: await admin.type(key), pttl: await admin.pttl(key) })),
  );
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

describe.skipIf(skipReason !== undefined)("redisStore on a real redis-server", () => {
  beforeAll(async () => {
    server = await startRedisServer();
    client = connect(server.port);
    admin = connect(server.port);
    await Promise.all([client.connect(), admin.connect()]);
  });

  afterAll(async () => {
    client?.disconnect();
    admin?.disconnect();
    await server?.stop();
  });

  describeStoreContract("redisStore", () => redisStore(client, { prefix: freshPrefix() }));

  describe("keys", () => {
    it("puts one user's keys under one hash tag and escapes ids so users never collide", async () => {
      const prefix = freshPrefix();
      const store = redisStore(client, { prefix });
      await store.claim("a}:marker:b", "c", 60_000, T);
      expect(await store.claim("a", "b}:marker:c", 60_000, T)).toBe(true);
      await store.createFactor("ü{x}", "f1", { type: "totp" });
      const keys = (await keysOf(prefix)).map((k) => k.key);
      expect(keys).toEqual(
        [
          `${prefix}{${tagOf("ü{x}")}}:u:%C3%BC%7Bx%7D:factors`,
          `${prefix}{${tagOf("ü{x}")}}:u:%C3%BC%7Bx%7D:rev`,
          `${prefix}{${tagOf("a}:marker:b")}}:u:a%7D%3Amarker%3Ab:marker:c`,
          `${prefix}{${tagOf("a")}}:u:a:marker:b}:marker:c`,
        ].sort(),
      );
      expect((await store.loadFactors("ü{x}")).factors).toEqual({ f1: { type: "totp" } });
    });

    it("keeps stores with different prefixes apart on one Redis", async () => {
      const a = redisStore(client, { prefix: freshPrefix() });
      const b = redisStore(client, { prefix: freshPrefix() });
      await a.createFactor("u", "f", { type: "totp" });
      expect((await b.loadFactors("u")).factors).toEqual({});
      expect(a.prefix).not.toBe(b.prefix);
    });

    it("gives every transient key a TTL and keeps only factors, backup codes and their revision without one", async () => {
      const prefix = freshPrefix();
      const store = redisStore(client, { prefix });
      await store.createFactor("u", "f1", { type: "totp" });
      await store.setBackupCodes("u", { salt: "s", hashes: ["h1"] });
      await attempt(store, [wrong]);
      await store.putCode(
        "u",
        "f2",
        { challengeId: "c", hash: "h", expiresAt: T + 600_000 },
        1_200_000,
        T,
      );
      await store.putChallenge("u", "webauthn", "v", 300_000, T);
      await store.createSession(tok("tok"), session(T + 900_000), T);
      await store.claim("u", "device", 86_400_000, T);
      await store.swap("u", "country", "DE", 86_400_000, T);

      const keys = await keysOf(prefix);
      const ttl = Object.fromEntries(keys.map((k) => [k.key.slice(prefix.length), k.pttl]));
      expect(Object.keys(ttl).sort()).toEqual(
        [
          `${U()}factors`,
          `${U()}rev`,
          `${U()}backup`,
          `${U()}lock`,
          `${U()}failures`,
          `${U()}code:f2`,
          `${U()}challenge:webauthn`,
          `${S()}s:tok`,
          `${S()}sessions`,
          `${U()}marker:device`,
          `${U()}marker:country`,
        ].sort(),
      );
      expect(ttl[`${U()}factors`]).toBe(-1);
      expect(ttl[`${U()}rev`]).toBe(-1);
      expect(ttl[`${U()}backup`]).toBe(-1);
      // Each TTL covers exactly what the entry is for: never shorter, hardly longer.
      const near = (ms: number) => expect.toSatisfy((v: number) => v > ms - 5_000 && v <= ms);
      expect(ttl).toMatchObject({
        // The lock hash also holds the consecutive failures, kept consecutiveTtlMs.
        [`${U()}lock`]: near(policy.consecutiveTtlMs),
        [`${U()}failures`]: near(300_000),
        [`${U()}code:f2`]: near(1_200_000),
        [`${U()}challenge:webauthn`]: near(300_000),
        [`${S()}s:tok`]: near(900_000),
        [`${S()}sessions`]: near(900_000),
        [`${U()}marker:device`]: near(86_400_000),
        [`${U()}marker:country`]: near(86_400_000),
      });
    });

    it("extends the session and its user index together when a session is touched", async () => {
      const prefix = freshPrefix();
      const store = redisStore(client, { prefix });
      await store.createSession(tok("tok"), session(T + 60_000), T);
      await store.touchSession(tok("tok"), T + 3_600_000, T + 30_000);
      const ttl = Object.fromEntries(
        (await keysOf(prefix)).map((k) => [k.key.slice(prefix.length), k.pttl]),
      );
      expect(ttl[`${S()}s:tok`]).toBeGreaterThan(3_500_000);
      expect(ttl[`${S()}sessions`]).toBeGreaterThan(3_500_000);
      // Revocation still finds the touched session.
      expect(await store.revokeUserSessions("u", T + 40_000)).toBe(1);
      expect(await keysOf(prefix)).toEqual([]);
    });

    it("drops limiter state entirely after a success", async () => {
      const prefix = freshPrefix();
      const store = redisStore(client, { prefix });
      await attempt(store, [wrong]);
      expect((await keysOf(prefix)).length).toBeGreaterThan(0);
      expect(await attempt(store, [match])).toMatchObject({ ok: true });
      expect(await keysOf(prefix)).toEqual([]);
    });

    it("works with a client that has its own ioredis keyPrefix", async () => {
      const prefixed = connect(server.port, { keyPrefix: `kp${process.pid}:` });
      try {
        const store = redisStore(prefixed, { prefix: freshPrefix() });
        await store.createSession(tok("t1"), session(T + 60_000), T);
        await store.createSession(tok("t2"), session(T + 60_000), T);
        expect(await store.touchSession(tok("t1"), T + 90_000, T + 1)).not.toBeNull();
        expect(await store.revokeSession(tok("t2"), T + 1)).toBe(true);
        expect(await store.revokeUserSessions("u", T + 2)).toBe(1);
        expect(await store.getSession(tok("t1"), T + 3)).toBeNull();
        expect(await admin.keys(`kp${process.pid}:*`)).toEqual([]);
      } finally {
        prefixed.disconnect();
      }
    });
  });

  describe("migrateRedisStore", () => {
    it("moves what the earlier layout holds to the current one, TTLs included, once", async () => {
      const prefix = freshPrefix();
      const earlier = (userId: string) => `${prefix}{${encodeURIComponent(userId)}}:`;
      const odd = "ü{x}:marker:y";
      await admin.hset(`${earlier("u")}factors`, "f1", JSON.stringify({ type: "totp" }));
      await admin.set(`${earlier("u")}rev`, "r1");
      await admin.hset(`${earlier("u")}backup`, "salt", "s", "h:a", "1");
      await admin.set(`${earlier("u")}marker:device`, `${T + 60_000}:1`, "PX", 60_000);
      await admin.hset(`${earlier(odd)}factors`, "f2", JSON.stringify({ type: "hotp" }));
      // Sessions stay behind: their tokens carry no tag.
      await admin.set(`${prefix}s:oldhash`, "session", "PX", 60_000);
      await admin.zadd(`${earlier("u")}sessions`, T + 60_000, "oldhash");

      expect(await migrateRedisStore(client, { prefix })).toEqual({ moved: 5, kept: 0 });
      const store = redisStore(client, { prefix });
      expect(await store.loadFactors("u")).toEqual({
        rev: "r1",
        factors: { f1: { type: "totp" } },
        backupCodes: { salt: "s", remaining: 1 },
      });
      expect((await store.loadFactors(odd)).factors).toEqual({ f2: { type: "hotp" } });
      expect(await store.peek("u", "device", T)).toBe("1");
      expect(await admin.pttl(`${prefix}${U()}marker:device`)).toBeGreaterThan(50_000);
      expect(await migrateRedisStore(client, { prefix })).toEqual({ moved: 0, kept: 0 });
      expect((await keysOf(prefix)).map((k) => k.key.slice(prefix.length))).toEqual(
        [
          `${U()}backup`,
          `${U()}factors`,
          `${U()}marker:device`,
          `${U()}rev`,
          `{${tagOf(odd)}}:u:${encodeURIComponent(odd)}:factors`,
          "s:oldhash",
          "{u}:sessions",
        ].sort(),
      );
    });

    it("works with a client that has its own ioredis keyPrefix", async () => {
      const keyPrefix = `mkp${process.pid}:`;
      const prefixed = connect(server.port, { keyPrefix });
      try {
        const prefix = freshPrefix();
        await admin.hset(`${keyPrefix}${prefix}{u}:factors`, "f1", "{}");
        expect(await migrateRedisStore(prefixed, { prefix })).toEqual({ moved: 1, kept: 0 });
        expect((await redisStore(prefixed, { prefix }).loadFactors("u")).factors).toEqual({
          f1: {},
        });
        expect(await admin.keys(`${keyPrefix}*`)).toEqual([`${keyPrefix}${prefix}${U()}factors`]);
        await admin.del(`${keyPrefix}${prefix}${U()}factors`);
      } finally {
        prefixed.disconnect();
      }
    });

    it("keeps a key the current layout already holds", async () => {
      const prefix = freshPrefix();
      await admin.set(`${prefix}{u}:rev`, "old");
      await redisStore(client, { prefix }).createFactor("u", "f", { type: "totp" });
      expect(await migrateRedisStore(client, { prefix })).toEqual({ moved: 0, kept: 1 });
      expect((await redisStore(client, { prefix }).loadFactors("u")).rev).not.toBe("old");
    });
  });

  describe("with the kit", () => {
    it("keeps no plaintext secret, code, contact or token in a full dump of Redis", async () => {
      const prefix = freshPrefix();
      const kit = testKit({ store: redisStore(client, { prefix }) });
      const { mfa } = kit;
      const found: string[] = [];
      const codes: string[] = [];
      const now = () => kit.clock.now;

      const totp = await mfa.enrollTotp("alice");
      const activation = totpCode(totp.secret, now());
      const activated = await mfa.activateFactor("alice", totp.factorId, activation);
      if (!activated.ok) throw new Error(activated.reason);
      const backupCodes = activated.backupCodes ?? [];
      const proof = { sessionToken: activated.session!.token };
      found.push(proof.sessionToken);
      const hotp = await mfa.enrollHotp("alice");
      expect(
        (await mfa.activateFactor("alice", hotp.factorId, hotpCode(hotp.secret, 0), proof)).ok,
      ).toBe(true);
      const contacts = { sms: "+15551234567", email: "alice.secret@example.com" } as const;
      for (const channel of ["sms", "email"] as const) {
        const enrolled = await mfa.enrollContact("alice", { channel, to: contacts[channel] });
        if (!enrolled.ok) throw new Error(enrolled.reason);
        const sent = kit.sent.at(-1)!.code;
        expect((await mfa.activateFactor("alice", enrolled.factorId, sent, proof)).ok).toBe(true);
        kit.tick(61_000);
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
      expect(
        (await mfa.verifyWebauthnRegistration("alice", await key.register(options), proof)).ok,
      ).toBe(true);
      const next = totpCode(totp.secret, now() + 30_000);
      const byTotp = await mfa.verify({ userId: "alice", factorId: totp.factorId, code: next });
      const byBackup = await mfa.verify({ userId: "alice", backupCode: backupCodes[0]! });
      if (!byTotp.ok || !byBackup.ok) throw new Error("verification failed");
      found.push(byTotp.session.token, byBackup.session.token);
      codes.push(activation, next);

      // Everything under the prefix, key names included.
      const dump: string[] = [];
      for (const { key: name, type } of await keysOf(prefix)) {
        dump.push(name);
        if (type === "string") dump.push((await admin.get(name)) ?? "");
        else if (type === "hash") dump.push(...Object.entries(await admin.hgetall(name)).flat());
        else if (type === "zset") dump.push(...(await admin.zrange(name, 0, -1)));
        else throw new Error(`unexpected type ${type} of ${name}`);
      }
      const text = dump.join("\n");
      expect(dump.length).toBeGreaterThan(20);
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
      // Short codes: never as a value of their own (digits inside timestamps do not count).
      for (const code of codes) {
        expect(new RegExp(`(^|[^0-9])${code}([^0-9]|$)`).test(text), `${code} is stored`).toBe(
          false,
        );
      }
    });
  });

  describe("round trips", () => {
    it("answers every method with one round trip but revokeUserSessions, the session check with one MGET", async () => {
      const store = redisStore(client, { prefix: freshPrefix() });
      const code = { challengeId: "c", hash: "h", expiresAt: T + 600_000 };
      const full: CredentialCheck[] = [
        { ...wrong, factorId: "f", challenge: "k" },
        { ...match, factorId: "f", kind: "code", hash: "h", missing: "invalid_code" },
        { ...match, kind: "backupCode", hash: "a" },
        { ...match, factorId: "f", kind: "counter", field: "lastStep", value: 1 },
      ];
      const calls: Record<string, (s: RedisStore) => Promise<unknown>> = {
        loadFactors: (s) => s.loadFactors("u"),
        createFactor: (s) => s.createFactor("u", `f${run++}`, { type: "totp" }),
        patchFactor: (s) => s.patchFactor("u", "f", { status: "active" }),
        deleteFactor: (s) => s.deleteFactor("u", "nope"),
        setBackupCodes: (s) => s.setBackupCodes("u", { salt: "s", hashes: ["a", "b"] }),
        // Every kind of check, the markers and a session: still one script.
        verifyAttempt: async (s) =>
          s.verifyAttempt(
            "u",
            {
              rev: "any",
              checks: full,
              policy,
              success: {
                hold: { key: "country", value: "DE" },
                swap: [{ key: "seen", value: "1", ttlMs: 60_000 }],
                session: { tokenHash: tok("t2"), expiresAt: T + 900_000 },
              },
            },
            T,
          ),
        lockedFor: (s) => s.lockedFor("u", T),
        putCode: (s) => s.putCode("u", "f", code, 1_200_000, T),
        putChallenge: (s) => s.putChallenge("u", "k", "v", 60_000, T),
        takeChallenge: (s) => s.takeChallenge("u", "k", T),
        createSession: (s) => s.createSession(tok("t"), session(T + 900_000), T),
        getSession: (s) => s.getSession(tok("t"), T),
        touchSession: (s) => s.touchSession(tok("t"), T + 1_000_000, T),
        revokeSession: (s) => s.revokeSession(tok("t"), T),
        revokeUserSessions: (s) => s.revokeUserSessions("u", T),
        claim: (s) => s.claim("u", "k", 60_000, T),
        swap: (s) => s.swap("u", "k2", "v", 60_000, T),
        peek: (s) => s.peek("u", "k2", T),
      };
      await store.createFactor("u", "f", { type: "totp" });
      // Warm up: the first EVALSHA of each script may have to load it.
      for (const call of Object.values(calls)) await call(store);
      const send = vi.spyOn(client, "sendCommand");
      const trips: Record<string, string[]> = {};
      for (const [name, call] of Object.entries(calls)) {
        send.mockClear();
        await call(store);
        trips[name] = send.mock.calls.map(([command]) => command.name);
      }
      send.mockRestore();
      // revokeUserSessions reads the session index first: the script must be given every key.
      const { revokeUserSessions, ...others } = trips;
      for (const [name, commands] of Object.entries(others)) {
        expect({ name, trips: commands.length }).toEqual({ name, trips: 1 });
      }
      expect(revokeUserSessions).toEqual(["zrange", "evalsha"]);
      expect(trips.getSession).toEqual(["mget"]);
      expect(trips.verifyAttempt).toEqual(["evalsha"]);
    });

    it("runs a whole verification with every kind of check, markers and a session in one EVALSHA", async () => {
      const store = redisStore(client, { prefix: freshPrefix() });
      await store.createFactor("u", "f1", { type: "sms", status: "active" });
      await store.createFactor("u", "f2", { type: "totp", status: "active", lastStep: "4" });
      await store.setBackupCodes("u", { salt: "s", hashes: ["b1"] });
      await store.putCode("u", "f1", { challengeId: "c", hash: "h", expiresAt: T + 1 }, 10, T);
      await store.swap("u", "seen", "1", 60_000, T);
      const { rev } = await store.loadFactors("u");
      const send = vi.spyOn(client, "sendCommand");
      const result = await store.verifyAttempt(
        "u",
        {
          rev,
          checks: [
            { ...wrong, factorId: "f1", kind: "code", hash: "x", missing: "invalid_code" },
            { ...match, kind: "backupCode", hash: "nope" },
            {
              ...match,
              factorId: "f2",
              expect: { status: "active" },
              kind: "counter",
              field: "lastStep",
              value: 5,
              patch: { lastUsedAt: String(T) },
            },
          ],
          policy,
          success: {
            swap: [{ key: "seen", value: "1", ttlMs: 60_000 }],
            session: { tokenHash: tok("tok"), expiresAt: T + 900_000 },
          },
        },
        T,
      );
      const commands = send.mock.calls.map(([command]) => command.name);
      send.mockRestore();
      expect(commands).toEqual(["evalsha"]);
      expect(result).toEqual({ ok: true, check: 2, previous: ["1"] });
      expect(await store.getSession(tok("tok"), T)).toEqual({
        ...session(T + 900_000),
        factorId: "f2",
      });
    });

    it("answers the session checks of one event-loop turn with one MGET, each with its own session", async () => {
      const store = redisStore(client, { prefix: freshPrefix() });
      await store.createSession(tok("t1", "a"), session(T + 1000, "a"), T);
      await store.createSession(tok("t2", "b"), session(T + 9, "b"), T);
      const send = vi.spyOn(client, "sendCommand");
      const found = await Promise.all([
        store.getSession(tok("t1", "a"), T),
        store.getSession(tok("t2", "b"), T + 10),
        store.getSession(tok("unknown"), T),
        store.getSession(tok("t2", "b"), T),
      ]);
      const commands = send.mock.calls.map(([command]) => command.name);
      send.mockRestore();
      expect(commands).toEqual(["mget"]);
      expect(found).toEqual([session(T + 1000, "a"), null, null, session(T + 9, "b")]);
      // A revocation that finished before a check began is seen by it.
      await store.revokeSession(tok("t1", "a"), T);
      expect(await store.getSession(tok("t1", "a"), T)).toBeNull();
    });

    it("reloads its scripts by itself after Redis lost them", async () => {
      const store = redisStore(client, { prefix: freshPrefix() });
      await store.createFactor("u", "f", { type: "hotp" });
      const counter = (value: number): CredentialCheck => ({
        ...match,
        factorId: "f",
        kind: "counter",
        field: "counter",
        value,
      });
      expect((await attempt(store, [counter(1)])).ok).toBe(true);
      await admin.script("FLUSH");
      expect((await attempt(store, [counter(2)])).ok).toBe(true);
      expect((await attempt(store, [counter(3)])).ok).toBe(true);
    });
  });

  describe("failing closed", () => {
    let own: RedisServer;
    let ownClient: Redis;
    let silent: Server | undefined;

    beforeAll(async () => {
      own = await startRedisServer();
      ownClient = connect(own.port, {
        retryStrategy: () => 20,
        maxRetriesPerRequest: 1,
      });
      ownClient.on("error", () => {});
      await ownClient.connect();
    });

    afterAll(async () => {
      ownClient?.disconnect();
      silent?.close();
      await own?.stop();
    });

    it("refuses with StoreUnavailableError while Redis is down and recovers when it is back", async () => {
      const store = redisStore(ownClient, { prefix: freshPrefix() });
      await store.createSession(tok("t"), session(T + 60_000), T);
      await own.stop();
      await vi.waitFor(() => expect(ownClient.status).not.toBe("ready"), { timeout: 5_000 });

      const refused = await store.getSession(tok("t"), T).catch((error: unknown) => error);
      expect(StoreUnavailableError.is(refused)).toBe(true);
      expect(refused).toBeInstanceOf(StoreUnavailableError);
      expect(refused).toMatchObject({ code: "store_unavailable", retryAfterSeconds: 1 });
      await expect(store.loadFactors("u")).rejects.toThrow(/Redis is unavailable/);
      await expect(
        store.verifyAttempt("u", { rev: "0", checks: [match], policy }, T),
      ).rejects.toBeInstanceOf(StoreUnavailableError);

      // A fresh server knows nothing of the old data, but the same store works again by itself.
      await own.start();
      await vi.waitFor(() => expect(ownClient.status).toBe("ready"), { timeout: 10_000 });
      expect(await store.getSession(tok("t"), T)).toBeNull();
      expect((await attempt(store, [match])).ok).toBe(true);
    });

    it("gives up after timeoutMs when Redis accepts the connection but never answers", async () => {
      silent = createServer(() => {}).listen(0, "127.0.0.1");
      await new Promise((resolve) => silent!.once("listening", resolve));
      const port = (silent.address() as { port: number }).port;
      const mute = connect(port, { retryStrategy: () => null });
      mute.on("error", () => {});
      mute.connect().catch(() => {});
      try {
        const store = redisStore(mute, { timeoutMs: 50 });
        const started = Date.now();
        await expect(store.getSession(tok("t"), T)).rejects.toThrow(/no answer within 50 ms/);
        expect(Date.now() - started).toBeLessThan(2_000);
      } finally {
        mute.disconnect();
      }
    });

    it("passes Redis errors that are bugs through instead of hiding them as outages", async () => {
      const prefix = freshPrefix();
      const store = redisStore(client, { prefix });
      await admin.set(`${prefix}${U()}factors`, "not a hash");
      const error = await store.loadFactors("u").catch((e: unknown) => e);
      expect(StoreUnavailableError.is(error)).toBe(false);
      expect(String(error)).toMatch(/WRONGTYPE/);
    });
  });

  it("refuses session claims its packed format cannot hold, as a programmer error", async () => {
    const store = redisStore(client, { prefix: freshPrefix() });
    await expect(
      store.createSession(tok("t"), { ...session(T + 1000), amr: ["two words"] }, T),
    ).rejects.toThrow(TypeError);
    await expect(
      store.createSession(tok("t"), { ...session(T + 1000), factorId: "f\n1" }, T),
    ).rejects.toThrow(TypeError);
  });

  it("rejects options that cannot work", () => {
    expect(() => redisStore(client, { timeoutMs: 0 })).toThrow(RangeError);
    expect(() => redisStore(client, { prefix: "a\nb:" })).toThrow(TypeError);
  });
});
