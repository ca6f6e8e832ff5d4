import { type RedisServer, redisUnavailableReason, startRedisServer } from "@mfa-kit/test-utils";
import fc from "fast-check";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryStore } from "./memory";
import { redisStore } from "./redis";
import type { CredentialCheck, LimitPolicy, MfaStore, StoredSession, SuccessSteps } from "./types";

// The verification policy (sliding window, lock schedule, replay guard, HOTP resync, markers,
// sessions) is written twice: in TypeScript for the memory store and in Lua for Redis. This
// model-based test runs random sequences of store calls against both, side by side on one clock,
// and requires the same answer to every call: a difference in either copy fails with the shortest
// sequence that shows it.

const skipReason = redisUnavailableReason();
if (skipReason) console.warn(`Skipping the memory/Redis parity test: ${skipReason}`);

const T0 = 1_700_000_000_000;
const policy: LimitPolicy = {
  maxFailures: 3,
  windowMs: 60_000,
  lockoutsMs: [30_000, 120_000],
  levelTtlMs: 600_000,
  maxConsecutiveFailures: 5,
  consecutiveTtlMs: 3_600_000,
};

/** Both stores, the shared clock, and each store's last revision per user (revs are store-made). */
interface World {
  stores: [MfaStore, MfaStore];
  now: number;
  revs: [Map<string, string>, Map<string, string>];
}

/** The model is the clock only: the memory store is the reference the Redis answers must match. */
type Model = { now: number };

/** Runs one call on both stores and requires the same answer. */
async function same<T>(
  world: World,
  label: string,
  call: (store: MfaStore, side: 0 | 1) => T | Promise<T>,
): Promise<T> {
  const memory = await call(world.stores[0], 0);
  const redis = await call(world.stores[1], 1);
  expect(redis, `redis vs memory: ${label}`).toEqual(memory);
  return memory;
}

const user = fc.constantFrom("u1", "u1", "u2");
const factorId = fc.constantFrom("f1", "f2");
// Token hashes are SHA-256 of 256 random bits: two users never share one, so each user has its own.
const token = fc.constantFrom("u1:t1", "u1:t2", "u2:t1", "u2:t2");
const tokenOf = (userId: string) => fc.constantFrom(`${userId}:t1`, `${userId}:t2`);
/** A token hash of `<user>:<name>` as the kit makes it for `store` (after its tag, if it has tags). */
const hashIn = (store: MfaStore, token: string) => {
  const tag = store.sessionTokenTag?.(token.slice(0, token.indexOf(":")));
  return tag === undefined ? token : `${tag}.${token}`;
};
const markerKey = fc.constantFrom("device", "country");
const ttl = fc.constantFrom(1_000, 30_000, 300_000);
const claims = { acr: "mfa", amr: ["otp", "mfa"] };

/** `arb` one time in `1 + misses`, else `undefined`. */
const sometimes = <T>(arb: fc.Arbitrary<T>, misses = 2) =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: misses }, { arbitrary: arb, weight: 1 });

/** What every check carries: mostly the seeded factor f1, sometimes expectations and a challenge. */
interface Base {
  factorId: string;
  expect?: Record<string, string>;
  challenge?: string;
  patch?: Record<string, string>;
}
const fields = (status: string): Record<string, string> => ({ status });
const base: fc.Arbitrary<Base> = fc
  .record({
    factorId: fc.constantFrom("f1", "f1", "f2"),
    expect: sometimes(fc.constantFrom("active", "pending").map(fields), 4),
    challenge: sometimes(fc.constantFrom("ch1", "ch2"), 4),
    patch: sometimes(fc.constantFrom(fields("active"), { used: "1" })),
  })
  .map(({ factorId, expect, challenge, patch }) => ({
    factorId,
    ...(expect ? { expect } : {}),
    ...(challenge ? { challenge } : {}),
    ...(patch ? { patch } : {}),
  }));

const check: fc.Arbitrary<CredentialCheck> = fc.oneof(
  // A TOTP/HOTP code the kit matched: a higher value is a right code, the same or a lower one a
  // replay.
  fc.record({ b: base, value: fc.integer({ min: 0, max: 6 }) }).map(
    ({ b, value }): CredentialCheck => ({
      ...claims,
      ...b,
      kind: "counter",
      field: "lastStep",
      value,
    }),
  ),
  base.map((b) => ({ ...claims, ...b, kind: "match" as const })),
  // An SMS / e-mail code: right or wrong hash, with or without the live challenge id.
  fc
    .record({
      b: base,
      hash: fc.constantFrom("h1", "h2"),
      challengeId: fc.option(fc.constantFrom("c1", "c2"), { nil: undefined }),
      missing: fc.constantFrom("code_expired" as const, "invalid_code" as const),
    })
    .map(({ b, hash, challengeId, missing }) => ({
      ...claims,
      ...b,
      kind: "code" as const,
      hash,
      ...(challengeId !== undefined ? { challengeId } : {}),
      missing,
    })),
  fc
    .constantFrom("b1", "b2", "b3", "b4")
    .map((hash): CredentialCheck => ({ ...claims, kind: "backupCode", hash })),
  fc
    .record({
      b: base,
      matches: fc.uniqueArray(fc.integer({ min: 0, max: 8 }), { maxLength: 3 }),
      candidate: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
    })
    .map(({ b, matches, candidate }) => ({
      ...claims,
      ...b,
      kind: "resync" as const,
      key: `resync:${b.factorId}`,
      field: "lastStep",
      matches,
      ...(candidate !== undefined ? { candidate } : {}),
      ttlMs: 60_000,
      failure: "invalid_code" as const,
    })),
  fc.constant({ ...claims, kind: "none" as const, failure: "invalid_code" as const }),
);

const success: fc.Arbitrary<SuccessSteps | undefined> = fc.option(
  fc.record(
    {
      hold: fc.record({ key: fc.constant("hold"), value: fc.constantFrom("de", "fr") }),
      swap: fc.array(fc.record({ key: markerKey, value: fc.constantFrom("a", "b"), ttlMs: ttl }), {
        maxLength: 2,
      }),
      session: fc.record({
        tokenHash: fc.constantFrom("t1", "t2"),
        expiresAt: fc.constantFrom(60_000, 900_000),
      }),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);

/** One store call (or a clock step), run on both stores. */
const command = (
  label: string,
  run: (world: World) => Promise<unknown>,
): fc.AsyncCommand<Model, World> => ({
  check: () => true,
  run: async (model, world) => {
    await run(world);
    model.now = world.now;
  },
  toString: () => label,
});

/** Loads both users' factors and requires the same records and the same revision moves. */
const loadFactors = (userId: string) =>
  command(`loadFactors(${userId})`, async (world) => {
    await same(world, `loadFactors(${userId})`, async (store, side) => {
      const { rev, ...rest } = await store.loadFactors(userId);
      const before = world.revs[side].get(userId);
      world.revs[side].set(userId, rev);
      return { ...rest, zero: rev === "0", moved: before !== rev };
    });
  });

const verifyAttempt = fc
  .record({
    userId: user,
    checks: fc.array(check, { minLength: 1, maxLength: 3 }),
    stale: fc.constantFrom(false, false, false, false, false, false, false, true),
    success,
  })
  .map(({ userId, checks, stale, success }) =>
    command(
      `verifyAttempt(${userId}, ${JSON.stringify(checks)}, stale ${stale}, ${JSON.stringify(success)})`,
      (world) =>
        same(world, "verifyAttempt", async (s) => {
          const { rev } = await s.loadFactors(userId);
          const steps =
            success?.session !== undefined
              ? {
                  ...success,
                  session: {
                    tokenHash: hashIn(s, `${userId}:${success.session.tokenHash}`),
                    expiresAt: world.now + success.session.expiresAt,
                  },
                }
              : success;
          return s.verifyAttempt(
            userId,
            {
              rev: stale ? `${rev}-stale` : rev,
              checks,
              policy,
              ...(steps ? { success: steps } : {}),
            },
            world.now,
          );
        }),
    ),
  );

const clockStep = fc
  .oneof(
    // Steps that land exactly on the policy's edges (window, locks, lifetimes), and any step.
    fc.constantFrom(1, 999, 1_000, 29_999, 30_000, 59_999, 60_000, 120_000, 300_000, 600_000),
    fc.integer({ min: 1, max: 200_000 }),
  )
  .map((ms) =>
    command(`clock +${ms} ms`, async (world) => {
      world.now += ms;
    }),
  );

/** The calls to draw from; verifications, the subject, come up about a third of the time. */
const commands = [
  verifyAttempt,
  verifyAttempt,
  verifyAttempt,
  verifyAttempt,
  verifyAttempt,
  verifyAttempt,
  verifyAttempt,
  clockStep,
  clockStep,
  clockStep,
  user.map(loadFactors),
  fc
    .record({
      userId: user,
      factorId,
      status: fc.constantFrom("active", "pending"),
      lastStep: fc.integer({ min: 0, max: 4 }),
    })
    .map(({ userId, factorId, status, lastStep }) => {
      const fields = { type: "totp", status, lastStep: String(lastStep) };
      return command(`createFactor(${userId}, ${factorId}, ${JSON.stringify(fields)})`, (world) =>
        same(world, "createFactor", (s) => s.createFactor(userId, factorId, fields)),
      );
    }),
  fc
    .record({ userId: user, factorId, status: fc.constantFrom("active", "pending") })
    .map(({ userId, factorId, status }) =>
      command(`patchFactor(${userId}, ${factorId}, ${status})`, (world) =>
        same(world, "patchFactor", (s) => s.patchFactor(userId, factorId, { status })),
      ),
    ),
  fc
    .record({ userId: user, factorId })
    .map(({ userId, factorId }) =>
      command(`deleteFactor(${userId}, ${factorId})`, (world) =>
        same(world, "deleteFactor", (s) => s.deleteFactor(userId, factorId)),
      ),
    ),
  fc
    .record({
      userId: user,
      hashes: fc.subarray(["b1", "b2", "b3"]),
      ifAbsent: fc.boolean(),
    })
    .map(({ userId, hashes, ifAbsent }) =>
      command(`setBackupCodes(${userId}, [${hashes}], ifAbsent ${ifAbsent})`, (world) =>
        same(world, "setBackupCodes", (s) =>
          s.setBackupCodes(userId, { salt: "salt", hashes }, { ifAbsent }),
        ),
      ),
    ),
  fc
    .record({
      userId: user,
      factorId,
      challengeId: fc.constantFrom("c1", "c2"),
      hash: fc.constantFrom("h1", "h2"),
      lifeMs: fc.constantFrom(10_000, 600_000),
    })
    .map(({ userId, factorId, challengeId, hash, lifeMs }) =>
      command(`putCode(${userId}, ${factorId}, ${challengeId}, ${hash}, ${lifeMs} ms)`, (world) =>
        same(world, "putCode", (s) =>
          s.putCode(
            userId,
            factorId,
            { challengeId, hash, expiresAt: world.now + lifeMs },
            lifeMs * 2,
            world.now,
          ),
        ),
      ),
    ),
  user.map((userId) =>
    command(`lockedFor(${userId})`, (world) =>
      same(world, "lockedFor", (s) => s.lockedFor(userId, world.now)),
    ),
  ),
  fc
    .record({ userId: user, key: fc.constantFrom("ch1", "ch2"), value: fc.string(), ttlMs: ttl })
    .map(({ userId, key, value, ttlMs }) =>
      command(`putChallenge(${userId}, ${key}, ${JSON.stringify(value)}, ${ttlMs})`, (world) =>
        same(world, "putChallenge", (s) => s.putChallenge(userId, key, value, ttlMs, world.now)),
      ),
    ),
  fc
    .record({ userId: user, key: fc.constantFrom("ch1", "ch2", "resync:f1") })
    .map(({ userId, key }) =>
      command(`takeChallenge(${userId}, ${key})`, (world) =>
        same(world, "takeChallenge", (s) => s.takeChallenge(userId, key, world.now)),
      ),
    ),
  fc
    .record({
      userId: user,
      acr: fc.constantFrom("mfa", "phr"),
      lifeMs: fc.constantFrom(1_000, 900_000),
    })
    .chain((r) => tokenOf(r.userId).map((tokenHash) => ({ ...r, tokenHash })))
    .map(({ tokenHash, userId, acr, lifeMs }) =>
      command(`createSession(${tokenHash}, ${userId}, ${acr}, ${lifeMs} ms)`, (world) => {
        const session: StoredSession = {
          userId,
          acr,
          amr: ["otp", "mfa"],
          authTime: world.now,
          expiresAt: world.now + lifeMs,
          factorId: "f1",
        };
        return same(world, "createSession", (s) =>
          s.createSession(hashIn(s, tokenHash), session, world.now),
        );
      }),
    ),
  token.map((tokenHash) =>
    command(`getSession(${tokenHash})`, (world) =>
      same(world, "getSession", (s) => s.getSession(hashIn(s, tokenHash), world.now)),
    ),
  ),
  fc
    .record({ tokenHash: token, lifeMs: fc.constantFrom(1_000, 900_000) })
    .map(({ tokenHash, lifeMs }) =>
      command(`touchSession(${tokenHash}, +${lifeMs} ms)`, (world) =>
        same(world, "touchSession", (s) =>
          s.touchSession(hashIn(s, tokenHash), world.now + lifeMs, world.now),
        ),
      ),
    ),
  token.map((tokenHash) =>
    command(`revokeSession(${tokenHash})`, (world) =>
      same(world, "revokeSession", (s) => s.revokeSession(hashIn(s, tokenHash), world.now)),
    ),
  ),
  user.map((userId) =>
    command(`revokeUserSessions(${userId})`, (world) =>
      same(world, "revokeUserSessions", (s) => s.revokeUserSessions(userId, world.now)),
    ),
  ),
  fc
    .record({ userId: user, key: markerKey, ttlMs: ttl })
    .map(({ userId, key, ttlMs }) =>
      command(`claim(${userId}, ${key}, ${ttlMs})`, (world) =>
        same(world, "claim", (s) => s.claim(userId, key, ttlMs, world.now)),
      ),
    ),
  fc
    .record({
      userId: user,
      key: fc.constantFrom("device", "country", "hold"),
      value: fc.constantFrom("a", "de"),
      ttlMs: ttl,
    })
    .map(({ userId, key, value, ttlMs }) =>
      command(`swap(${userId}, ${key}, ${value}, ${ttlMs})`, (world) =>
        same(world, "swap", (s) => s.swap(userId, key, value, ttlMs, world.now)),
      ),
    ),
  fc
    .record({ userId: user, key: fc.constantFrom("device", "country", "hold") })
    .map(({ userId, key }) =>
      command(`peek(${userId}, ${key})`, (world) =>
        same(world, "peek", (s) => s.peek(userId, key, world.now)),
      ),
    ),
];

/** A start where verifications have something to find: factors, backup codes, live codes. */
async function seed(world: World): Promise<void> {
  await same(world, "seed", async (s) => {
    for (const userId of ["u1", "u2"]) {
      await s.createFactor(userId, "f1", { type: "totp", status: "active", lastStep: "0" });
      await s.createFactor(userId, "f2", { type: "sms", status: "active" });
      await s.setBackupCodes(userId, { salt: "salt", hashes: ["b1", "b2", "b3"] });
      for (const [factorId, challengeId, hash] of [
        ["f1", "c1", "h1"],
        ["f2", "c2", "h2"],
      ]) {
        const code = { challengeId: challengeId!, hash: hash!, expiresAt: T0 + 300_000 };
        await s.putCode(userId, factorId!, code, 600_000, T0);
      }
    }
  });
}

describe.skipIf(skipReason !== undefined)("the memory and Redis stores", () => {
  let server: RedisServer;
  let client: Redis;
  let run = 0;

  beforeAll(async () => {
    server = await startRedisServer();
    client = new Redis({ host: "127.0.0.1", port: server.port, lazyConnect: true });
    await client.connect();
  });

  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });

  it("answer every random sequence of calls the same way", async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 80, size: "+1" }), async (sequence) => {
        const world: World = {
          // A fresh prefix per sequence: each starts from empty stores.
          stores: [memoryStore(), redisStore(client, { prefix: `parity${process.pid}-${run++}:` })],
          now: T0,
          revs: [new Map(), new Map()],
        };
        await seed(world);
        await fc.asyncModelRun(() => ({ model: { now: T0 }, real: world }), sequence);
        // Whatever the sequence did, both end in the same state.
        for (const userId of ["u1", "u2"]) await loadFactors(userId).run({ now: world.now }, world);
      }),
      { numRuns: 300 },
    );
  }, 120_000);
});
